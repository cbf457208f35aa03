/** The tracker's wire contract, checked through the WebSocket and HTTP only. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { id20, isAnnounceResponse, isAnswer, isFailure, isOffer, startRedis, startRedisCluster, until, WireClient, type Frame, type RedisCluster, type RedisServer } from '@swarmcast/testkit';
import { startTracker, type RunningTracker } from './support/tracker-fixture.ts';
import type { TrackerOptions } from '../src/app.ts';

const sdp = (n: number) => 'v=0\r\n' + 'a=candidate:x\r\n'.repeat(n);
const offers = (from: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ offer_id: id20(`${from}-o${i}`), offer: { type: 'offer', sdp: sdp(i + 1) } }));

function announce(client: WireClient, infoHash: string, peerId: string, extra: Record<string, unknown> = {}) {
  client.send({ action: 'announce', info_hash: infoHash, peer_id: peerId, numwant: 5, uploaded: 0, downloaded: 0, ...extra });
  return client.next(isAnnounceResponse(infoHash));
}

async function scrape(client: WireClient, infoHash?: string | string[]): Promise<Frame> {
  client.send(infoHash === undefined ? { action: 'scrape' } : { action: 'scrape', info_hash: infoHash });
  return client.next((frame) => frame['action'] === 'scrape');
}

export function conformanceSuite(storeName: string, storeOptions: () => Promise<TrackerOptions> | TrackerOptions) {
  describe(`tracker protocol (${storeName} store)`, () => {
    const running: RunningTracker[] = [];
    const clients: WireClient[] = [];
    const start = async (options: TrackerOptions = {}) => {
      const tracker = await startTracker({ ...(await storeOptions()), ...options });
      running.push(tracker);
      return tracker;
    };
    const connect = async (tracker: RunningTracker, path = '/', headers: Record<string, string> = {}) => {
      const client = await WireClient.connect(tracker.url + path, { headers });
      clients.push(client);
      return client;
    };
    let tracker: RunningTracker;
    before(async () => {
      tracker = await start();
    });
    after(async () => {
      for (const client of clients) client.close();
      await Promise.all(running.map((t) => t.close()));
    });

    test('answers an announce with interval, info_hash and swarm counts', async () => {
      const swarm = id20('swarm-basic');
      const a = await connect(tracker);
      const first = await announce(a, swarm, id20('basic-a'), { event: 'started' });
      assert.deepEqual(first, { action: 'announce', interval: 120, info_hash: swarm, complete: 0, incomplete: 1 });
      const b = await connect(tracker, '/announce');
      const second = await announce(b, swarm, id20('basic-b'), { event: 'started', left: 0 });
      assert.equal(second['complete'], 1);
      assert.equal(second['incomplete'], 1);
    });

    test('relays offer i to peer i, at most min(offers, numwant) peers, never to the sender', async () => {
      const swarm = id20('swarm-relay');
      const receivers = await Promise.all([1, 2, 3].map(() => connect(tracker)));
      for (const [i, r] of receivers.entries()) await announce(r, swarm, id20(`relay-r${i}`));
      const sender = await connect(tracker);
      const sent = offers('relay-s', 5);
      await announce(sender, swarm, id20('relay-s'), { numwant: 2, offers: sent });
      const got = (await Promise.all(receivers.map((r) => r.receives(isOffer, 300).then((yes) => (yes ? r : undefined))))).filter(Boolean);
      assert.equal(got.length, 2, 'exactly numwant peers get an offer');
      assert.equal(await sender.receives(isOffer, 100), false, 'the sender never gets its own offer');

      // Every receiver now waits; send 5 offers with numwant 5: three peers, offers 0..2 in order.
      const again = offers('relay-t', 5);
      const pending = receivers.map((r) => r.next(isOffer));
      await announce(sender, swarm, id20('relay-s'), { offers: again });
      const frames = await Promise.all(pending);
      const ids = frames.map((f) => f['offer_id']).sort();
      assert.deepEqual(ids, again.slice(0, 3).map((o) => o.offer_id).sort());
      for (const frame of frames) {
        const sentOffer = again.find((o) => o.offer_id === frame['offer_id'])!;
        assert.deepEqual(frame, { action: 'announce', offer: sentOffer.offer, offer_id: sentOffer.offer_id, peer_id: id20('relay-s'), info_hash: swarm });
      }
    });

    test('relays an answer only for a pending offer, once', async () => {
      const swarm = id20('swarm-answer');
      const offerer = await connect(tracker);
      const answerer = await connect(tracker);
      await announce(answerer, swarm, id20('ans-b'));
      const [offer] = offers('ans-a', 1);
      await announce(offerer, swarm, id20('ans-a'), { offers: [offer] });
      const relayed = await answerer.next(isOffer);
      const answer = { action: 'announce', info_hash: swarm, peer_id: id20('ans-b'), to_peer_id: relayed['peer_id'], offer_id: relayed['offer_id'], answer: { type: 'answer', sdp: sdp(2) } };
      answerer.send(answer);
      assert.deepEqual(await offerer.next(isAnswer), {
        action: 'announce', answer: answer.answer, offer_id: offer!.offer_id, peer_id: id20('ans-b'), info_hash: swarm,
      });
      answerer.send(answer);
      const repeat = await answerer.next(isFailure);
      assert.match(String(repeat['failure reason']), /no pending offer/);
      assert.equal(repeat['info_hash'], swarm);

      answerer.send({ ...answer, offer_id: id20('never-offered') });
      assert.match(String((await answerer.next(isFailure))['failure reason']), /no pending offer/);
      assert.equal(await offerer.receives(isAnswer, 150), false, 'refused answers are not relayed');
    });

    test('tells the answerer when the offerer has gone', async () => {
      const swarm = id20('swarm-gone');
      const offerer = await connect(tracker);
      const answerer = await connect(tracker);
      await announce(answerer, swarm, id20('gone-b'));
      await announce(offerer, swarm, id20('gone-a'), { offers: offers('gone-a', 1) });
      const relayed = await answerer.next(isOffer);
      offerer.close();
      await offerer.closed;
      await until(async () => ((await scrape(answerer, swarm))['files'] as Record<string, { incomplete: number }>)[swarm]!.incomplete === 1, 'the closed offerer leaves the swarm', { timeoutMs: 2000 });
      answerer.send({ action: 'announce', info_hash: swarm, peer_id: id20('gone-b'), to_peer_id: relayed['peer_id'], offer_id: relayed['offer_id'], answer: { type: 'answer', sdp: 'late' } });
      assert.match(String((await answerer.next(isFailure))['failure reason']), /no longer in this swarm/);
    });

    test('refuses an answer under a peer_id the connection did not announce (spoofing)', async () => {
      const swarm = id20('swarm-spoof');
      const victim = await connect(tracker);
      const target = await connect(tracker);
      const attacker = await connect(tracker);
      await announce(victim, swarm, id20('spoof-v'));
      await announce(attacker, swarm, id20('spoof-x'));
      await announce(target, swarm, id20('spoof-t'), { numwant: 2, offers: offers('spoof-t', 2) });
      const offerToVictim = await victim.next(isOffer);
      attacker.send({ action: 'announce', info_hash: swarm, peer_id: id20('spoof-v'), to_peer_id: id20('spoof-t'), offer_id: offerToVictim['offer_id'], answer: { type: 'answer', sdp: 'forged' } });
      assert.match(String((await attacker.next(isFailure))['failure reason']), /has not announced/);
      assert.equal(await target.receives(isAnswer, 150), false);
      // Announcing under the victim's peer_id in its swarm is refused too.
      attacker.send({ action: 'announce', info_hash: swarm, peer_id: id20('spoof-v') });
      assert.match(String((await attacker.next(isFailure))['failure reason']), /another peer_id|in use/);
    });

    test('expires offers that were not answered in time', async () => {
      const short = await start({ offerTtlSec: 1 });
      const swarm = id20('swarm-ttl');
      const a = await connect(short);
      const b = await connect(short);
      await announce(b, swarm, id20('ttl-b'));
      await announce(a, swarm, id20('ttl-a'), { offers: offers('ttl-a', 1) });
      const relayed = await b.next(isOffer);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      b.send({ action: 'announce', info_hash: swarm, peer_id: id20('ttl-b'), to_peer_id: id20('ttl-a'), offer_id: relayed['offer_id'], answer: { type: 'answer', sdp: 'late' } });
      assert.match(String((await b.next(isFailure))['failure reason']), /expired/);
    });

    test('stopped leaves, completed counts a download, and scrape reports one, several or all swarms', async () => {
      const s1 = id20('swarm-scrape-1');
      const s2 = id20('swarm-scrape-2');
      const a = await connect(tracker);
      const b = await connect(tracker);
      await announce(a, s1, id20('sc-a'), { event: 'started', left: 100 });
      await announce(b, s1, id20('sc-b'), { event: 'started', left: 100 });
      await announce(b, s2, id20('sc-b2'), { event: 'started' });
      const done = await announce(a, s1, id20('sc-a'), { event: 'completed', left: 0 });
      assert.deepEqual([done['complete'], done['incomplete']], [1, 1]);

      const one = await scrape(a, s1);
      assert.deepEqual(one['files'], { [s1]: { complete: 1, incomplete: 1, downloaded: 1 } });
      const several = await scrape(a, [s1, s2, id20('swarm-unknown')]);
      assert.deepEqual(several['files'], {
        [s1]: { complete: 1, incomplete: 1, downloaded: 1 },
        [s2]: { complete: 0, incomplete: 1, downloaded: 0 },
        [id20('swarm-unknown')]: { complete: 0, incomplete: 0, downloaded: 0 },
      });
      const all = (await scrape(a))['files'] as Record<string, unknown>;
      assert.ok(s1 in all && s2 in all);

      const stopped = await announce(b, s1, id20('sc-b'), { event: 'stopped' });
      assert.deepEqual([stopped['complete'], stopped['incomplete']], [1, 0]);
    });

    test('carries several (info_hash, peer_id) pairs on one socket and routes per swarm', async () => {
      const [s1, s2] = [id20('swarm-multi-1'), id20('swarm-multi-2')];
      const viewer = await connect(tracker);
      await announce(viewer, s1, id20('multi-v1'));
      await announce(viewer, s2, id20('multi-v2'));
      const other = await connect(tracker);
      await announce(other, s2, id20('multi-o'), { offers: offers('multi-o', 1) });
      const offer = await viewer.next(isOffer);
      assert.equal(offer['info_hash'], s2);
      viewer.send({ action: 'announce', info_hash: s2, peer_id: id20('multi-v2'), to_peer_id: id20('multi-o'), offer_id: offer['offer_id'], answer: { type: 'answer', sdp: 'ok' } });
      const answer = await other.next(isAnswer);
      assert.equal(answer['peer_id'], id20('multi-v2'));
      // The same socket may not use a second peer_id in a swarm it is in.
      viewer.send({ action: 'announce', info_hash: s1, peer_id: id20('multi-v3') });
      assert.match(String((await viewer.next(isFailure))['failure reason']), /another peer_id/);
    });

    test('a peer_id belongs to the connection that first used it, until that connection closes', async () => {
      const swarm = id20('swarm-owner');
      const first = await connect(tracker);
      const second = await connect(tracker);
      await announce(first, swarm, id20('owner-p'));
      second.send({ action: 'announce', info_hash: swarm, peer_id: id20('owner-p') });
      assert.match(String((await second.next(isFailure))['failure reason']), /in use by another connection/);
      first.close();
      await first.closed;
      await until(async () => {
        second.send({ action: 'announce', info_hash: swarm, peer_id: id20('owner-p') });
        const frame = await second.next((f) => f['info_hash'] === swarm);
        return !isFailure(frame);
      }, 'the closed socket releases its peer_id', { timeoutMs: 2000 });
    });

    test('drops every membership of a socket when it closes', async () => {
      const [s1, s2] = [id20('swarm-close-1'), id20('swarm-close-2')];
      const leaving = await connect(tracker);
      const observer = await connect(tracker);
      await announce(leaving, s1, id20('close-a'));
      await announce(leaving, s2, id20('close-b'));
      await announce(observer, s1, id20('close-o'));
      leaving.close();
      await until(async () => {
        const files = (await scrape(observer, [s1, s2]))['files'] as Record<string, { incomplete: number }>;
        return files[s1]!.incomplete === 1 && files[s2]!.incomplete === 0;
      }, 'the closed socket leaves both swarms', { timeoutMs: 2000 });
    });

    test('expires a peer that stops re-announcing while its socket stays open', async () => {
      const quick = await start({ announceIntervalSec: 1 });
      const swarm = id20('swarm-expiry');
      const quiet = await connect(quick);
      const active = await connect(quick);
      await announce(quiet, swarm, id20('exp-q'));
      const firstSeen = Date.now();
      await announce(active, swarm, id20('exp-a'));
      await until(async () => {
        await announce(active, swarm, id20('exp-a'));
        return ((await scrape(active, swarm))['files'] as Record<string, { incomplete: number }>)[swarm]!.incomplete === 1;
      }, 'the quiet peer expires', { timeoutMs: 5000 });
      assert.ok(Date.now() - firstSeen >= 1900, 'not before two intervals');
      assert.equal(quiet.closeCode, undefined, 'the quiet socket stays open');
    });

    test('answers malformed input with a failure reason and keeps the socket usable', async () => {
      const client = await connect(tracker);
      const swarm = id20('swarm-bad');
      const latin1 = 'ÿ'.repeat(20);
      const cases: Array<[unknown, RegExp]> = [
        ['not json', /not valid JSON/],
        ['[1,2]', /JSON object/],
        [{ info_hash: swarm }, /action must be/],
        [{ action: 'connect' }, /action must be/],
        [{ action: 'announce', info_hash: 'short', peer_id: id20('bad-p') }, /info_hash must be a 20-character/],
        [{ action: 'announce', info_hash: swarm + 'x', peer_id: id20('bad-p') }, /info_hash must be a 20-character/],
        [{ action: 'announce', info_hash: 'ā'.repeat(20), peer_id: id20('bad-p') }, /info_hash must be a 20-character/],
        [{ action: 'announce', info_hash: swarm, peer_id: 12345 }, /peer_id must be string/],
        [{ action: 'announce', info_hash: swarm }, /peer_id is required/],
        [{ action: 'announce', info_hash: swarm, peer_id: id20('bad-p'), offers: 'x' }, /offers must be array/],
        [{ action: 'announce', info_hash: swarm, peer_id: id20('bad-p'), offers: offers('bad', 11) }, /offers must NOT have more than 10 items/],
        [{ action: 'announce', info_hash: swarm, peer_id: id20('bad-p'), offers: [{ offer_id: id20('o'), offer: { type: 'offer', sdp: 7 } }] }, /sdp must be string/],
        [{ action: 'announce', info_hash: swarm, peer_id: id20('bad-p'), numwant: -1 }, /numwant must be >= 0/],
        [{ action: 'announce', info_hash: swarm, peer_id: id20('bad-p'), event: 'exploded' }, /event must be equal to one of/],
        [{ action: 'announce', info_hash: swarm, peer_id: id20('bad-p'), answer: { type: 'answer', sdp: '' } }, /to_peer_id is required/],
        [{ action: 'scrape', info_hash: [1] }, /invalid scrape/],
      ];
      for (const [message, reason] of cases) {
        client.send(message);
        const frame = await client.next(isFailure);
        assert.match(String(frame['failure reason']), reason, JSON.stringify(message));
        assert.ok(frame['action'] === 'announce' || frame['action'] === 'scrape', 'failures carry an action');
      }
      // The exact info_hash string is echoed, latin1 code points included.
      client.send({ action: 'announce', info_hash: latin1, peer_id: 'bad' });
      assert.equal((await client.next(isFailure))['info_hash'], latin1);
      client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
      assert.match(String((await client.next(isFailure))['failure reason']), /binary frames/);
      const ok = await announce(client, swarm, id20('bad-p'));
      assert.equal(ok['incomplete'], 1, 'the socket still works after every bad message');
    });

    test('closes with 1009 on an oversized frame, without touching other peers', async () => {
      const small = await start({ maxFrameBytes: 4096 });
      const swarm = id20('swarm-big');
      const bystander = await connect(small);
      await announce(bystander, swarm, id20('big-ok'));
      const abuser = await connect(small);
      abuser.send({ action: 'announce', info_hash: swarm, peer_id: id20('big-x'), offers: [{ offer_id: id20('o'), offer: { type: 'offer', sdp: 'x'.repeat(5000) } }] });
      assert.equal(await abuser.closed, 1009);
      const again = await announce(bystander, swarm, id20('big-ok'));
      assert.equal(again['incomplete'], 1);
    });

    test('closes with 1008 when a connection exceeds its message rate', async () => {
      const strict = await start({ maxMessagesPerSecond: 5 });
      const flooder = await connect(strict);
      const calm = await connect(strict);
      for (let i = 0; i < 40; i++) flooder.send({ action: 'scrape' });
      assert.equal(await flooder.closed, 1008);
      const frame = await scrape(calm);
      assert.equal(frame['action'], 'scrape');
      const stats = (await (await fetch(strict.httpUrl + '/stats')).json()) as TrackerStats;
      assert.equal(stats.rejections['rate_limited'], 1);
    });

    test('refuses upgrades beyond the per-address connection limit', async () => {
      const limited = await start({ maxConnectionsPerIp: 2 });
      const one = await connect(limited);
      await connect(limited);
      await assert.rejects(WireClient.connect(limited.url), /429/);
      one.close();
      await one.closed;
      await until(() => WireClient.connect(limited.url).then((c) => clients.push(c) > 0, () => false), 'a connection is let in again', { timeoutMs: 2000 });
    });

    test('a stream with more viewers than one swarm holds is split into swarms of at most MAX_PEERS_PER_SWARM: nobody is refused, offers stay within a swarm, scrape counts the stream', async () => {
      const capped = await start({ maxPeersPerSwarm: 4 });
      const stream = id20('stream-cells');
      const peers = await Promise.all(Array.from({ length: 24 }, () => connect(capped)));
      const sizes: number[] = [];
      for (const [i, peer] of peers.entries()) {
        const response = await announce(peer, stream, id20(`cells-${i}`), { numwant: 0 });
        sizes.push(Number(response['complete']) + Number(response['incomplete']));
      }
      // Announcing again moves members into the swarms opened after they joined.
      for (const [i, peer] of peers.entries()) {
        const response = await announce(peer, stream, id20(`cells-${i}`), { numwant: 0 });
        sizes.push(Number(response['complete']) + Number(response['incomplete']));
      }
      assert.ok(sizes.every((size) => size >= 1 && size <= 4), `a member's swarm held 1 to 4 peers: ${sizes.join(' ')}`);
      assert.deepEqual((await scrape(peers[0]!, stream))['files'], { [stream]: { complete: 0, incomplete: 24, downloaded: 0 } });
      // Each member's offers reach exactly the others of its swarm (it wants more than there are).
      const responses = await Promise.all(peers.map((sender, i) => announce(sender, stream, id20(`cells-${i}`), { numwant: 10, offers: offers(`cells-o${i}`, 10) })));
      const swarmSizes = responses.map((response) => Number(response['complete']) + Number(response['incomplete']));
      const offersFrom = (i: number) => peers.filter((peer) => peer.frames.some((frame) => isOffer(frame) && frame['peer_id'] === id20(`cells-${i}`)));
      const expected = swarmSizes.reduce((sum, size) => sum + size - 1, 0);
      await until(() => peers.reduce((sum, _peer, i) => sum + offersFrom(i).length, 0) >= expected, `${expected} offers delivered`, { timeoutMs: 5000 });
      for (const [i, sender] of peers.entries()) {
        assert.equal(offersFrom(i).length, swarmSizes[i]! - 1, `member ${i}: offers went to ${offersFrom(i).length} peers, its swarm has ${swarmSizes[i]}`);
        assert.ok(!offersFrom(i).includes(sender));
      }
      await announce(peers[5]!, stream, id20('cells-5'), { event: 'stopped' });
      // Other tests' swarms share the store: the stream is listed once, under its own info_hash.
      const files = (await scrape(peers[0]!))['files'] as Record<string, unknown>;
      assert.deepEqual(files[stream], { complete: 0, incomplete: 23, downloaded: 0 });
      assert.deepEqual(Object.keys(files).filter((key) => key.startsWith('stream-cells')), [stream], 'a bare scrape lists the stream once');
    });

    test('enforces swarms per connection', async () => {
      const capped = await start({ maxSwarmsPerConnection: 2 });
      const c = await connect(capped);
      await announce(c, id20('swarm-c1'), id20('c1'));
      await announce(c, id20('swarm-c2'), id20('c2'));
      c.send({ action: 'announce', info_hash: id20('swarm-c3'), peer_id: id20('c3') });
      assert.match(String((await c.next(isFailure))['failure reason']), /at most 2 swarms/);
    });

    test('counts every abuse limit in rejections_total{reason}', async () => {
      const capped = await start({ maxFrameBytes: 4096, maxMessagesPerSecond: 5, maxConnectionsPerIp: 4, maxSwarmsPerConnection: 1, maxOffers: 2 });
      const swarm = id20('swarm-limits');
      // A second connection towards the per-address limit below.
      const [a] = await Promise.all([connect(capped), connect(capped)]);
      await announce(a, swarm, id20('lim-a'));
      a.send({ action: 'announce', info_hash: id20('swarm-limits-2'), peer_id: id20('lim-a') });
      assert.match(String((await a.next(isFailure))['failure reason']), /at most 1 swarms/);
      a.send({ action: 'announce', info_hash: swarm, peer_id: id20('lim-a'), offers: offers('lim', 3) });
      assert.match(String((await a.next(isFailure))['failure reason']), /offers must NOT have more than 2 items/);
      const big = await connect(capped);
      big.send('x'.repeat(5000));
      assert.equal(await big.closed, 1009);
      const flooder = await connect(capped);
      for (let i = 0; i < 20; i++) flooder.send({ action: 'scrape' });
      assert.equal(await flooder.closed, 1008);
      await Promise.all([connect(capped), connect(capped)]);
      await assert.rejects(WireClient.connect(capped.url), /429/);
      const metrics = await (await fetch(capped.httpUrl + '/metrics')).text();
      for (const reason of ['too_many_swarms', 'too_many_offers', 'frame_too_large', 'rate_limited', 'too_many_connections']) {
        assert.match(metrics, new RegExp(`^swarmcast_tracker_rejections_total\\{reason="${reason}"\\} 1$`, 'm'), reason);
      }
    });

    test('prefers peers with the same region header (from a trusted proxy), then others', async () => {
      const swarm = id20('swarm-region');
      const behindProxy = await start({ trustProxy: 1 });
      const eu = await Promise.all([1, 2].map(() => connect(behindProxy, '/', { 'x-swarmcast-region': 'eu-west' })));
      const us = await Promise.all([1, 2, 3].map(() => connect(behindProxy, '/', { 'x-swarmcast-region': 'us-east' })));
      for (const [i, c] of eu.entries()) await announce(c, swarm, id20(`eu-${i}`));
      for (const [i, c] of us.entries()) await announce(c, swarm, id20(`us-${i}`));
      const [sender, neighbour] = eu as [WireClient, WireClient];
      for (let round = 0; round < 10; round++) {
        await announce(sender, swarm, id20('eu-0'), { numwant: 1, offers: offers(`reg${round}`, 1) });
        assert.equal((await neighbour.next(isOffer))['offer_id'], id20(`reg${round}-o0`));
      }
      // Wanting more than the region has fills up with the others.
      const pending = [neighbour, ...us].map((c) => c.next(isOffer));
      await announce(sender, swarm, id20('eu-0'), { numwant: 4, offers: offers('fill', 4) });
      assert.equal((await Promise.all(pending)).length, 4);
    });

    test('serves /health, /stats and Prometheus /metrics', async () => {
      const health = await fetch(tracker.httpUrl + '/health');
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, 'ok');
      const stats = (await (await fetch(tracker.httpUrl + '/stats')).json()) as TrackerStats;
      assert.ok(stats.announces > 0 && stats.offersRelayed > 0 && stats.answersRelayed > 0);
      const metrics = await (await fetch(tracker.httpUrl + '/metrics')).text();
      for (const name of ['swarmcast_tracker_connections', 'swarmcast_tracker_swarms', 'swarmcast_tracker_peers', 'swarmcast_tracker_announces_total', 'swarmcast_tracker_offers_relayed_total', 'swarmcast_tracker_answers_relayed_total', 'swarmcast_tracker_rejections_total', 'swarmcast_tracker_nodejs_eventloop_lag_seconds']) {
        assert.match(metrics, new RegExp(`^${name}`, 'm'), name);
      }
      assert.match(metrics, /swarmcast_tracker_rejections_total\{reason="invalid_json"\} [1-9]/);
      const page = await fetch(tracker.httpUrl + '/');
      assert.equal(page.status, 200, 'a plain GET on the WebSocket path explains itself');
    });
  });
}

conformanceSuite('memory', () => ({}));

// Every tracker of a run shares one Redis, started on first use; tests differ by info_hash.
let redis: Promise<RedisServer> | undefined;
let cluster: Promise<RedisCluster> | undefined;
conformanceSuite('redis', async () => ({ redisUrl: (await (redis ??= startRedis())).url }));
conformanceSuite('redis cluster', async () => ({ redisClusterNodes: (await (cluster ??= startRedisCluster())).nodes }));
after(async () => {
  await Promise.all([redis?.then((server) => server.stop()), cluster?.then((nodes) => nodes.stop())]);
});
