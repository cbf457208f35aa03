/**
 * Client addresses behind proxies and what hangs on them: TRUST_PROXY's hop count and CIDR forms
 * (a client cannot pick its address by writing the left-most X-Forwarded-For), per-address limits
 * by IPv6 /64, the region header believed only from a trusted proxy, and the instance-wide cap on
 * bytes queued for clients that stop reading.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { limitKey } from '../src/client-address.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { id20, isAnnounceResponse, isOffer, WireClient, type Frame } from '@swarmcast/testkit';
import { closedAfterTests, type RunningTracker } from './support/tracker-fixture.ts';

const { start, keep } = closedAfterTests();

async function connect(tracker: RunningTracker, headers: Record<string, string> = {}, localAddress?: string): Promise<WireClient> {
  return keep(await WireClient.connect(tracker.url, { headers, localAddress }));
}

/** How many upgrades are accepted, in order, each claiming the given X-Forwarded-For. */
async function accepted(tracker: RunningTracker, forwardedFor: string[]): Promise<boolean[]> {
  const results: boolean[] = [];
  for (const header of forwardedFor) {
    results.push(
      await connect(tracker, { 'x-forwarded-for': header }).then(
        () => true,
        (error: Error) => {
          assert.match(error.message, /429/);
          return false;
        },
      ),
    );
  }
  return results;
}

async function announce(client: WireClient, infoHash: string, peerId: string, extra: Record<string, unknown> = {}): Promise<Frame> {
  client.send({ action: 'announce', info_hash: infoHash, peer_id: peerId, numwant: 0, uploaded: 0, downloaded: 0, ...extra });
  return client.next(isAnnounceResponse(infoHash), 5000);
}

async function stats(tracker: RunningTracker): Promise<{ connections: number; queuedBytes: number; rejections: Record<string, number> }> {
  return (await fetch(tracker.httpUrl + '/stats')).json() as Promise<TrackerStats>;
}

describe('TRUST_PROXY', () => {
  test('takes a hop count or addresses and CIDR ranges; true, which trusted the client, is refused with the fix', () => {
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback,fd00::/8' }).trustProxy, ['10.0.0.0/8', 'loopback', 'fd00::/8']);
    for (const off of ['false', '0', 'no']) assert.equal(loadConfig({ TRUST_PROXY: off }).trustProxy, false);
    assert.throws(() => loadConfig({ TRUST_PROXY: 'true' }), (error: Error) => error instanceof ConfigError && /TRUST_PROXY=1/.test(error.message));
    assert.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' }), (error: Error) => error instanceof ConfigError && /TRUST_PROXY/.test(error.message));
    assert.throws(() => loadConfig({ TRUST_PROXY: 'proxy.internal' }), ConfigError);
  });

  test('TRUST_PROXY=1: a forged left-most X-Forwarded-For does not get past MAX_CONNECTIONS_PER_IP', async () => {
    const tracker = await start({ trustProxy: 1, maxConnectionsPerIp: 2 });
    // What an appending proxy sends: whatever the client wrote, then the address it saw.
    const forged = ['198.51.100.1, 203.0.113.7', '198.51.100.2, 203.0.113.7', '198.51.100.3,203.0.113.7', '203.0.113.7'];
    assert.deepEqual(await accepted(tracker, forged), [true, true, false, false]);
    assert.deepEqual(await accepted(tracker, ['198.51.100.1, 203.0.113.8']), [true], 'another viewer behind the same proxy');
    assert.equal((await stats(tracker)).rejections['too_many_connections'], 2);
  });

  test('CIDR form: trusted hops are skipped from the right; a socket from outside the list is the client itself', async () => {
    const behind = await start({ trustProxy: loadConfig({ TRUST_PROXY: '127.0.0.0/8' }).trustProxy, maxConnectionsPerIp: 2 });
    // Two proxies of ours (127.0.0.1 on the socket, 127.0.0.9 in the header) in front of 203.0.113.9.
    const chain = (claimed: string) => `${claimed}, 203.0.113.9, 127.0.0.9`;
    assert.deepEqual(await accepted(behind, [chain('198.51.100.1'), chain('198.51.100.2'), chain('198.51.100.3')]), [true, true, false]);

    const elsewhere = await start({ trustProxy: loadConfig({ TRUST_PROXY: '10.0.0.0/8' }).trustProxy, maxConnectionsPerIp: 2 });
    assert.deepEqual(await accepted(elsewhere, ['203.0.113.1', '203.0.113.2', '203.0.113.3']), [true, true, false], 'the header of an untrusted peer is ignored');
  });

  test('IPv6 clients share a limit per /64', async () => {
    assert.equal(limitKey('2001:db8:1:2::1'), limitKey('2001:DB8:1:2:ffff:ffff:ffff:ffff'));
    assert.notEqual(limitKey('2001:db8:1:2::1'), limitKey('2001:db8:1:3::1'));
    assert.equal(limitKey('::ffff:203.0.113.5'), limitKey('203.0.113.5'));
    assert.notEqual(limitKey('203.0.113.5'), limitKey('203.0.113.6'));

    const tracker = await start({ trustProxy: 1, maxConnectionsPerIp: 2 });
    assert.deepEqual(await accepted(tracker, ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:8000::3', '2001:db8:1:3::1']), [true, true, false, true]);
  });

  test('the telemetry rate limit counts the address the proxy saw, not the one the client wrote', async () => {
    const tracker = await start({ trustProxy: 1, telemetryPostsPerMinute: 2 });
    const post = (forwardedFor: string) =>
      fetch(`${tracker.httpUrl}/telemetry`, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-forwarded-for': forwardedFor }, body: '{}' }).then((response) => response.status);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await post(`198.51.100.${i}, 203.0.113.20`));
    assert.deepEqual(statuses.map((status) => status === 429), [false, false, true, true]);
    assert.notEqual(await post('198.51.100.1, 203.0.113.21'), 429, 'another viewer behind the same proxy');
    assert.equal(await post('2001:db8:5:6::1'), 400);
    assert.equal(await post('2001:db8:5:6::2'), 400);
    assert.equal(await post('2001:db8:5:6:1::3'), 429, 'the same /64');
  });
});

describe('the region header', () => {
  test('is ignored without TRUST_PROXY: a client cannot choose whom it is paired with', async () => {
    // 127.1.0.0/24 and 127.2.0.0/24 are two networks on loopback: pairing falls back to them.
    const tracker = await start({});
    const swarm = id20('region-ignored');
    const far = [await connect(tracker, { 'x-swarmcast-region': 'eu-west' }, '127.1.0.1'), await connect(tracker, { 'x-swarmcast-region': 'eu-west' }, '127.1.0.2')];
    const near = [await connect(tracker, { 'x-swarmcast-region': 'us-east' }, '127.2.0.1'), await connect(tracker, { 'x-swarmcast-region': 'us-east' }, '127.2.0.2')];
    for (const [i, client] of [...far, ...near].entries()) await announce(client, swarm, id20(`region-${i}`));
    const joiner = await connect(tracker, { 'x-swarmcast-region': 'eu-west' }, '127.2.0.3');
    const offers = [0, 1].map((i) => ({ offer_id: id20(`region-offer-${i}`), offer: { type: 'offer', sdp: 'v=0' } }));
    const atNear = near.map((client) => client.next(isOffer, 5000));
    await announce(joiner, swarm, id20('region-joiner'), { numwant: 2, offers });
    assert.equal((await Promise.all(atNear)).length, 2, 'both offers went to the joiner\'s network');
    for (const client of far) assert.equal(await client.receives(isOffer, 300), false, 'none to the region it claimed');
  });
});

describe('MAX_QUEUED_BYTES', () => {
  const CAP = 1024 * 1024;
  // About 15 KB per relayed offer (an SDP is at most 16 KiB).
  const sdp = 'v=0\r\n' + 'a=x'.repeat(5000);
  let offerCount = 0;

  /** Announces in `swarm` with one big offer, which the tracker relays to the one other member. */
  async function relayBigOffer(sender: WireClient, swarm: string): Promise<void> {
    await announce(sender, swarm, id20('queue-sender'), { numwant: 1, offers: [{ offer_id: id20(`big-${offerCount++}`), offer: { type: 'offer', sdp } }] });
  }

  /** Relays offers to `swarm`'s reader until `done` (checked every four), at most `limit`; the offers relayed. */
  async function relayUntil(tracker: RunningTracker, sender: WireClient, swarm: string, done: (s: Awaited<ReturnType<typeof stats>>) => boolean, limit: number): Promise<number> {
    for (let sent = 0; sent < limit; sent += 4) {
      await Promise.all([1, 2, 3, 4].map(() => relayBigOffer(sender, swarm)));
      if (done(await stats(tracker))) return sent + 4;
    }
    throw new Error(`not within ${limit} offers: ${JSON.stringify(await stats(tracker))}`);
  }

  test('over the instance cap, the reader with the most waiting is cut off, not the one being sent to nor anyone else', { timeout: 60_000 }, async () => {
    // Each reader stays far under the per-connection 4 MiB: only the instance cap can cut them. One
    // sender relays every offer, so it may have any number waiting for a reader's answer. No pings:
    // the paused readers would answer none and be closed for that.
    const tracker = await start({ maxQueuedBytes: CAP, maxMessagesPerSecond: 10_000, maxPendingOffersPerPeer: 1_000_000, pingIntervalSec: 3600 });
    const [swarmA, swarmB, swarmH] = [id20('queue-a'), id20('queue-b'), id20('queue-h')];
    const sender = await connect(tracker);
    const [a, b, healthy] = [await connect(tracker), await connect(tracker), await connect(tracker)];
    await announce(a, swarmA, id20('queue-reader-a'));
    await announce(b, swarmB, id20('queue-reader-b'));
    await announce(healthy, swarmH, id20('queue-healthy'));
    a.socket.pause();
    b.socket.pause();

    // A's kernel buffers fill first (their size varies), then its queue in the tracker grows.
    await relayUntil(tracker, sender, swarmA, (s) => s.queuedBytes >= 0.6 * CAP, 2000);
    assert.equal((await stats(tracker)).rejections['slow_reader'], undefined, 'under the cap, nobody is cut');
    // Now B's: passing the cap cuts A, which holds the most, and leaves B alone.
    await relayUntil(tracker, sender, swarmB, (s) => (s.rejections['slow_reader'] ?? 0) > 0, 2000);
    const after = await stats(tracker);
    assert.equal(after.rejections['slow_reader'], 1);
    assert.ok(after.queuedBytes < CAP, `${after.queuedBytes} bytes queued`);

    const fresh = id20('queue-fresh');
    const reachesHealthy = healthy.next((frame) => frame['offer_id'] === fresh, 5000);
    await announce(sender, swarmH, id20('queue-sender'), { numwant: 1, offers: [{ offer_id: fresh, offer: { type: 'offer', sdp: 'v=0' } }] });
    await reachesHealthy;
    a.socket.resume();
    b.socket.resume();
    assert.equal(await a.closed, 1006, 'A was cut off');
    const toB = id20('queue-b-fresh');
    const reachesB = b.next((frame) => frame['offer_id'] === toB, 10_000);
    await announce(sender, swarmB, id20('queue-sender'), { numwant: 1, offers: [{ offer_id: toB, offer: { type: 'offer', sdp: 'v=0' } }] });
    await reachesB;
    assert.equal(b.closeCode, undefined, 'B, still under the cap once A was gone, is connected');
  });
});
