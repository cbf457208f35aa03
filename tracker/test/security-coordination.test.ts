/**
 * Attacks on seeding coordination and peer_id ownership against running trackers, as an outsider
 * would make them over WebSocket and HTTP:
 * - grinding peer_ids that sort first in a coming slot's order (ranks were SHA-1 of slot:peer_id);
 * - one address holding more than its share of seeding ranks;
 * - squatting a coordinated viewer's peer_id in a swarm it has not joined yet, or while it reconnects;
 * - lockout after a silent drop or an instance's SIGKILL (memberships that outlive their socket).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { newPeerIdentity, withPeerSecret } from '@swarmcast/protocol/peer-proof';
import { id20, isAnnounceResponse, isFailure, isOffer, sleep, startRedis, startTrackerProcess, tryUpgrade, waitFor, WireClient, type Frame, type RedisServer } from '@swarmcast/testkit';
import type { TrackerOptions } from '../src/app.ts';
import type { CoordinationAnswer } from '@swarmcast/protocol/coordination';
import { closedAfterTests } from './support/tracker-fixture.ts';

const { start, keep } = closedAfterTests();
let redis: Promise<RedisServer> | undefined;
after(async () => (await redis)?.stop());

const identity = () => newPeerIdentity((bytes) => {
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return bytes;
});

async function connect(url: string, localAddress?: string): Promise<WireClient> {
  return keep(await WireClient.connect(url, localAddress ? { localAddress } : {}));
}

/** Announces as p2p-media-loader does (no offers) and returns the tracker's reply: a response or a failure. */
function announce(client: WireClient, infoHash: string, peerId: string, offers: unknown[] = []): Promise<Frame> {
  client.send({ action: 'announce', info_hash: infoHash, peer_id: peerId, event: 'started', numwant: offers.length, uploaded: 0, downloaded: 0, left: null, offers });
  return client.next((frame) => isAnnounceResponse(infoHash)(frame) || (isFailure(frame) && frame['info_hash'] === infoHash), 10_000);
}

async function coordination(httpUrl: string, infoHash: string, peerId: string): Promise<CoordinationAnswer> {
  const response = await fetch(`${httpUrl}/coordination?${new URLSearchParams({ info_hash: infoHash, peer_id: peerId })}`);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as CoordinationAnswer;
}

/** Every member's rank, all from one slot (asked again when a slot boundary fell between them). */
async function ranksInOneSlot(httpUrl: string, infoHash: string, peerIds: string[]): Promise<{ slot: number; ranks: Map<string, number> }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const answers = await Promise.all(peerIds.map((peerId) => coordination(httpUrl, infoHash, peerId)));
    if (answers.every((answer) => answer.slot === answers[0]!.slot && answer.rank !== null)) {
      return { slot: answers[0]!.slot, ranks: new Map(peerIds.map((peerId, i) => [peerId, answers[i]!.rank!])) };
    }
    await sleep(200);
  }
  throw new Error('no five attempts fell within one slot with every member ranked');
}

/** The rank key an attacker could compute before: SHA-1 of `slot:peer_id`, latin1. */
const publicKey = (slot: number, peerId: string) => createHash('sha1').update(`${slot}:${peerId}`, 'latin1').digest('hex');

describe('seeder grinding', () => {
  test('peer_ids ground offline for a coming slot do not take its seeding ranks (ranks need a secret only trackers know)', { timeout: 60_000 }, async () => {
    const slotMs = 4000;
    const tracker = await start({ coordinationSlotMs: slotMs });
    const swarm = id20('grinding');
    const honest = Array.from({ length: 30 }, (_, i) => id20(`honest-${i}`));
    for (const [i, peerId] of honest.entries()) assert.ok(isAnnounceResponse(swarm)(await announce(await connect(tracker.url, `127.0.0.${10 + i}`), swarm, peerId)));

    // The attacker knows the slot numbering (any answer gives it) and grinds, offline, ids that sort
    // before every honest one in a coming slot, announced just before that slot begins.
    const target = Math.floor((Date.now() + 1000) / slotMs) + 1;
    const lowestHonest = honest.map((peerId) => publicKey(target, peerId)).sort()[0]!;
    const ground: string[] = [];
    for (let i = 0; ground.length < 3; i++) {
      const candidate = id20(`grind-${target}-${i}`);
      if (publicKey(target, candidate) < lowestHonest) ground.push(candidate);
    }
    // Three sockets on three addresses.
    for (const [i, peerId] of ground.entries()) assert.ok(isAnnounceResponse(swarm)(await announce(await connect(tracker.url, `127.0.0.${2 + i}`), swarm, peerId)));
    await sleep(Math.max(0, target * slotMs - Date.now()) + 50);

    const { slot, ranks } = await ranksInOneSlot(tracker.httpUrl, swarm, [...honest, ...ground]);
    assert.equal(slot, target);
    const attackerRanks = ground.map((peerId) => ranks.get(peerId)!).sort((a, b) => a - b);
    // seeders (1 at 33 members) + 2 backups: with random ranks all three fall to the attacker 1 time in 5,456.
    assert.notDeepEqual(attackerRanks, [0, 1, 2], 'the ground ids hold the seeder and both backup ranks');
  });

  test('one address holds at most one of the first ranks, however many members it brings', async () => {
    const tracker = await start({});
    const swarm = id20('one-address');
    const honest = Array.from({ length: 10 }, (_, i) => id20(`addr-honest-${i}`));
    for (const [i, peerId] of honest.entries()) await announce(await connect(tracker.url, `127.0.0.${10 + i}`), swarm, peerId);
    const crowd = Array.from({ length: 12 }, (_, i) => id20(`addr-crowd-${i}`));
    for (const peerId of crowd) await announce(await connect(tracker.url, '127.0.0.2'), swarm, peerId);

    const { ranks } = await ranksInOneSlot(tracker.httpUrl, swarm, [...honest, ...crowd]);
    assert.deepEqual([...ranks.values()].sort((a, b) => a - b), [...Array(22).keys()], 'ranks are still a permutation');
    // 11 addresses: the first 11 ranks go one per address.
    const crowdInFirst = crowd.filter((peerId) => ranks.get(peerId)! < 11).length;
    assert.equal(crowdInFirst, 1, `the crowd's address holds ${crowdInFirst} of the first 11 ranks`);
  });
});

function ownershipSuite(storeName: string, storeOptions: () => Promise<TrackerOptions>) {
  describe(`peer_id ownership (${storeName} store)`, () => {
    test("a squatter that announces a coordinated viewer's peer_id first in a swarm does not keep the viewer out", async () => {
      const tracker = await start({ ...(await storeOptions()), redisKeyPrefix: `squat-${storeName}:` });
      const victim = identity();
      const [joined, next] = [id20(`${storeName}-joined`), id20(`${storeName}-abr-switch`)];
      const viewer = await connect(withPeerSecret(tracker.url, victim.secret));
      assert.ok(isAnnounceResponse(joined)(await announce(viewer, joined, victim.peerId)));

      // The peer_id is public (every offer carries it): the squatter takes it in the next rendition's swarm.
      const squatter = await connect(tracker.url, '127.0.0.2');
      assert.ok(isAnnounceResponse(next)(await announce(squatter, next, victim.peerId)));
      // A secret of the squatter's own proves another peer_id, not this one.
      const pretender = await connect(withPeerSecret(tracker.url, identity().secret), '127.0.0.3');
      assert.equal((await announce(pretender, next, victim.peerId))['failure reason'], 'peer_id is in use by another connection');

      const reply = await announce(viewer, next, victim.peerId);
      assert.ok(isAnnounceResponse(next)(reply), `the viewer is let in: ${JSON.stringify(reply)}`);
      assert.equal((await announce(squatter, next, victim.peerId))['failure reason'], 'peer_id is in use by another connection');

      // Offers for the peer_id now reach the viewer, not the squatter.
      const other = await connect(tracker.url, '127.0.0.4');
      await announce(other, next, id20(`${storeName}-other`), [{ offer_id: id20('squat-offer'), offer: { type: 'offer', sdp: 'v=0' } }]);
      assert.equal((await viewer.next(isOffer, 5000))['offer_id'], id20('squat-offer'));
      assert.equal(await squatter.receives(isOffer, 300), false);
    });

    test('a viewer that reconnects (token renewal, a new network) takes its peer_id back at once, even from a squatter', async () => {
      const tracker = await start({ ...(await storeOptions()), redisKeyPrefix: `reconnect-${storeName}:` });
      const victim = identity();
      const swarm = id20(`${storeName}-reconnect`);
      const first = await connect(withPeerSecret(tracker.url, victim.secret));
      await announce(first, swarm, victim.peerId);
      // The old socket is still open (the renewal overlaps it) when a squatter and then the new socket announce.
      const squatter = await connect(tracker.url, '127.0.0.2');
      assert.equal((await announce(squatter, swarm, victim.peerId))['failure reason'], 'peer_id is in use by another connection');
      const second = await connect(withPeerSecret(tracker.url, victim.secret));
      assert.ok(isAnnounceResponse(swarm)(await announce(second, swarm, victim.peerId)));
      // The old socket's leave does not remove the new one's membership.
      first.close();
      await first.closed;
      await sleep(200);
      assert.equal((await coordination(tracker.httpUrl, swarm, victim.peerId)).swarm_size, 1);
      assert.equal((await announce(squatter, swarm, victim.peerId))['failure reason'], 'peer_id is in use by another connection');
    });
  });
}

ownershipSuite('memory', async () => ({}));
ownershipSuite('redis', async () => ({ redisUrl: (await (redis ??= startRedis())).url }));

function passOverSuite(storeName: string, storeOptions: () => Promise<TrackerOptions>) {
  test(`a seeder that does not seed is passed over when a backup of the slot reports its own fetch, once a slot (${storeName})`, { timeout: 60_000 }, async () => {
    const options: TrackerOptions = { ...(await storeOptions()), redisKeyPrefix: `pass-over-${storeName}:`, coordinationSlotMs: 60_000 };
    const first = await start(options);
    // On Redis a second instance must agree; the memory store is one instance.
    const second = options.redisUrl ? await start(options) : first;
    const swarm = id20(`pass-over-${storeName}`);
    const viewers = Array.from({ length: 6 }, identity);
    for (const [i, viewer] of viewers.entries()) {
      await announce(await connect(withPeerSecret(first.url, viewer.secret), `127.0.0.${10 + i}`), swarm, viewer.peerId);
    }
    // All of it within one slot: start it with a fresh one if this one is nearly over.
    const { next_slot_in_ms: left } = await coordination(first.httpUrl, swarm, viewers[0]!.peerId);
    if (left < 20_000) await sleep(left + 100);
    const { ranks } = await ranksInOneSlot(first.httpUrl, swarm, viewers.map((viewer) => viewer.peerId));
    const at = (rank: number) => viewers.find((viewer) => ranks.get(viewer.peerId) === rank)!;
    const [seeder, backup, secondBackup, relay] = [at(0), at(1), at(2), at(3)];
    const report = (tracker: { httpUrl: string }, viewer: { peerId: string }, secret?: string) =>
      fetch(`${tracker.httpUrl}/coordination?${new URLSearchParams({ info_hash: swarm, peer_id: viewer.peerId, missed: '1', ...(secret ? { peer_secret: secret } : {}) })}`);

    // Without the peer_id's secret a report is refused: anyone may name a backup's peer_id.
    const unproven = await report(first, backup, identity().secret);
    assert.equal(unproven.status, 403);
    assert.match(((await unproven.json()) as Record<string, string>)['failure reason']!, /missed needs the peer_secret that proves peer_id/);
    assert.equal((await report(first, backup)).status, 403);
    // A relay or the seeder itself is not heard.
    for (const viewer of [relay, seeder]) assert.equal(((await (await report(first, viewer, viewer.secret)).json()) as CoordinationAnswer).rank, ranks.get(viewer.peerId));
    assert.equal((await coordination(first.httpUrl, swarm, seeder.peerId)).rank, 0, 'the seeder still seeds');

    const heard = (await (await report(first, backup, backup.secret)).json()) as CoordinationAnswer;
    assert.equal(heard.rank, 0, 'the reporting backup seeds at once');
    assert.equal((await coordination(first.httpUrl, swarm, seeder.peerId)).rank, 5, 'the seeder goes last');
    assert.equal((await coordination(first.httpUrl, swarm, secondBackup.peerId)).rank, 1, 'the next backup moves up');
    // The next backup's report of the same segment does not turn the order again.
    assert.equal(((await (await report(first, secondBackup, secondBackup.secret)).json()) as CoordinationAnswer).rank, 1);
    assert.equal((await coordination(first.httpUrl, swarm, backup.peerId)).rank, 0);
    // Every instance on the store agrees (after its next read).
    await waitFor(() => coordination(second.httpUrl, swarm, seeder.peerId), (answer) => answer.rank === 5, { timeoutMs: 5000, intervalMs: 200 });
    assert.equal((await coordination(second.httpUrl, swarm, backup.peerId)).rank, 0);
  });
}

describe('a seeder that does not seed', () => {
  passOverSuite('memory', async () => ({}));
  passOverSuite('redis', async () => ({ redisUrl: (await (redis ??= startRedis())).url }));
});

describe('peer_secret at upgrade', () => {
  test('a malformed peer_secret is refused with 400 and a reason', async () => {
    const tracker = await start({});
    const refused = await tryUpgrade(`${tracker.url}/?peer_secret=short`);
    assert.equal(refused.status, 400);
    assert.match(JSON.parse(refused.body).error, /peer_secret must be 22 to 64 base64url characters/);
  });
});

describe('lockout after a silent drop', () => {
  test('the tracker pings its sockets: one that stops answering is dropped within seconds and its peer_id is free again', { timeout: 30_000 }, async () => {
    const tracker = await start({ pingIntervalSec: 1, announceIntervalSec: 120 });
    const swarm = id20('silent-drop');
    const peerId = id20('silent-peer');
    const silent = await connect(tracker.url);
    await announce(silent, swarm, peerId);
    // The client's network went away: nothing it receives is read any more, so no pong comes back.
    silent.socket.pause();
    // Positive control: while the socket answers, the peer_id is held.
    const returning = await connect(tracker.url);
    assert.equal((await announce(returning, swarm, peerId))['failure reason'], 'peer_id is in use by another connection');
    const reply = await waitFor(() => announce(returning, swarm, peerId), (frame) => isAnnounceResponse(swarm)(frame), { timeoutMs: 15_000, intervalMs: 500 });
    assert.ok(isAnnounceResponse(swarm)(reply));
  });

  test('a proven viewer whose socket went silent comes back at once, with its rank', async () => {
    const tracker = await start({ announceIntervalSec: 120 });
    const victim = identity();
    const swarm = id20('silent-proven');
    const silent = await connect(withPeerSecret(tracker.url, victim.secret));
    await announce(silent, swarm, victim.peerId);
    silent.socket.pause();
    const back = await connect(withPeerSecret(tracker.url, victim.secret));
    assert.ok(isAnnounceResponse(swarm)(await announce(back, swarm, victim.peerId)));
    assert.equal((await coordination(tracker.httpUrl, swarm, victim.peerId)).rank, 0);
  });
});

describe('lockout after an instance dies (SIGKILL, two instances on one Redis)', () => {
  test("its viewers get their peer_ids back on another instance and /coordination stops counting the dead instance's members", { timeout: 90_000 }, async (t) => {
    const server = await (redis ??= startRedis());
    const env = { REDIS_URL: server.url, REDIS_KEY_PREFIX: 'sigkill:', ANNOUNCE_INTERVAL: '120', LOG_LEVEL: 'warn' };
    const doomed = await startTrackerProcess(env);
    const survivor = await startTrackerProcess(env);
    t.after(() => Promise.all([doomed.stop(), survivor.stop()]));
    const swarm = id20('sigkill');
    const proven = identity();
    const plain = id20('sigkill-plain');
    await announce(await connect(withPeerSecret(doomed.url, proven.secret)), swarm, proven.peerId);
    await announce(await connect(doomed.url), swarm, plain);
    // A viewer that never comes back.
    await announce(await connect(doomed.url), swarm, id20('sigkill-ghost'));
    const stayer = id20('sigkill-stayer');
    await announce(await connect(survivor.url), swarm, stayer);
    assert.equal((await coordination(survivor.httpUrl, swarm, stayer)).swarm_size, 4);

    await doomed.kill();
    // The proven viewer reconnects to the other instance and is let in at once.
    assert.ok(isAnnounceResponse(swarm)(await announce(await connect(withPeerSecret(survivor.url, proven.secret)), swarm, proven.peerId)));
    // An unmodified client is let in once the dead instance's heartbeat has lapsed (15 s), not after two announce intervals (240 s).
    const plainAgain = await connect(survivor.url);
    const reply = await waitFor(() => announce(plainAgain, swarm, plain), (frame) => isAnnounceResponse(swarm)(frame), { timeoutMs: 40_000, intervalMs: 1000 });
    assert.ok(isAnnounceResponse(swarm)(reply));
    // The ghost no longer counts: three members, every one of them on the survivor.
    await waitFor(() => coordination(survivor.httpUrl, swarm, stayer), (answer) => answer.swarm_size === 3, { timeoutMs: 10_000, intervalMs: 500 });
  });

  test('while the dead instance still counts as live, its members are not taken over by anyone without proof', { timeout: 30_000 }, async () => {
    const server = await (redis ??= startRedis());
    const options: TrackerOptions = { redisUrl: server.url, redisKeyPrefix: 'live-holder:' };
    const [holder, other] = [await start(options), await start(options)];
    const swarm = id20('live-holder');
    const peerId = id20('live-holder-peer');
    await announce(await connect(holder.url), swarm, peerId);
    assert.equal((await announce(await connect(other.url, '127.0.0.2'), swarm, peerId))['failure reason'], 'peer_id is in use by another connection');
  });
});
