/**
 * Seeding coordination (`GET /coordination`), through the WebSocket and HTTP only: peers join a
 * swarm with raw WebTorrent frames and ask where they stand; on memory, on a Redis node (also with
 * two instances sharing it) and on a Redis Cluster. Then the ordering function on its own, the
 * per-instance cache, the refusals (400, 401, 403, 404, 429) and an unmodified client's announce.
 */
import assert from 'node:assert/strict';
import { createHmac, randomFillSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { mintToken } from '@swarmcast/protocol/access-token';
import { newPeerIdentity } from '@swarmcast/protocol/peer-proof';
import { loadConfig } from '../src/config.ts';
import { ORDER_REFRESH_MS } from '../src/coordination/order-cache.ts';
import type { CoordinationAnswer } from '@swarmcast/protocol/coordination';
import { seedersFor } from '@swarmcast/protocol/mesh-capacity';
import { seedingOrder, TURN_ROUND } from '@swarmcast/protocol/seeding-order';
import { RING_SIZE, RingIndex, ringKey, slotPhase } from '../src/store/seeding-ring.ts';
import { id20, isAnnounceResponse, sleep, startRedis, startRedisCluster, waitFor, WireClient, type Frame, type RedisCluster, type RedisServer } from '@swarmcast/testkit';
import { closedAfterTests, type RunningTracker } from './support/tracker-fixture.ts';
import type { TrackerOptions } from '../src/app.ts';

/** Short slots, so a test sees several orders within seconds. */
const SLOT_MS = 1000;
const PEERS = 8;

const { start, keep } = closedAfterTests();

async function connect(tracker: RunningTracker, query = ''): Promise<WireClient> {
  const client = await WireClient.connect(tracker.url + '/' + query);
  return keep(client);
}

/** Announces as p2p-media-loader does, and returns the tracker's reply. */
function announce(client: WireClient, infoHash: string, peerId: string): Promise<Frame> {
  client.send({ action: 'announce', info_hash: infoHash, peer_id: peerId, event: 'started', numwant: 0, uploaded: 0, downloaded: 0, left: null });
  return client.next(isAnnounceResponse(infoHash));
}

/** Peers `label-0`, `label-1`, … in `infoHash`, each on its own socket, spread over `trackers` in turn. */
async function join(trackers: RunningTracker[], infoHash: string, label: string, n: number): Promise<string[]> {
  const peerIds = Array.from({ length: n }, (_, i) => id20(`${label}-${i}`));
  for (const [i, peerId] of peerIds.entries()) await announce(await connect(trackers[i % trackers.length]!), infoHash, peerId);
  return peerIds;
}

const url = (tracker: RunningTracker, params: Record<string, string>) => `${tracker.httpUrl}/coordination?${new URLSearchParams(params)}`;

async function coordination(tracker: RunningTracker, infoHash: string, peerId: string): Promise<CoordinationAnswer> {
  const response = await fetch(url(tracker, { info_hash: infoHash, peer_id: peerId }));
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as CoordinationAnswer;
}

/**
 * Every peer's answer, asked of tracker i % trackers.length, all from one slot: asked again when a
 * slot boundary fell between the requests.
 */
async function answersInOneSlot(trackers: RunningTracker[], infoHash: string, peerIds: string[]): Promise<CoordinationAnswer[]> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const answers = await Promise.all(peerIds.map((peerId, i) => coordination(trackers[i % trackers.length]!, infoHash, peerId)));
    if (answers.every((answer) => answer.slot === answers[0]!.slot)) return answers;
  }
  throw new Error('no five attempts fell within one slot');
}

/** The peer_ids by rank, after checking the answers agree and the ranks are exactly 0..n-1. */
function orderOf(answers: CoordinationAnswer[], peerIds: string[]): string[] {
  const n = peerIds.length;
  for (const answer of answers) {
    assert.equal(answer.swarm_size, n);
    assert.equal(answer.seeders, answers[0]!.seeders);
    assert.equal(answer.slot_ms, answers[0]!.slot_ms);
    assert.ok(answer.next_slot_in_ms > 0 && answer.next_slot_in_ms <= answer.slot_ms, `next_slot_in_ms ${answer.next_slot_in_ms}`);
  }
  assert.deepEqual(answers.map((answer) => answer.rank).sort((a, b) => a! - b!), [...Array(n).keys()], 'ranks are a permutation of 0..n-1');
  const order: string[] = [];
  answers.forEach((answer, i) => {
    order[answer.rank!] = peerIds[i]!;
  });
  return order;
}

test("the seeding ring: members and slots placed by the trackers' secret (the first 52 bits of an HMAC-SHA-256), read clockwise with wrap-around", () => {
  const secret = Buffer.alloc(32, 7);
  const first52 = (text: string, key = secret) => Number(BigInt(`0x${createHmac('sha256', key).update(Buffer.from(text, 'latin1')).digest('hex').slice(0, 13)}`));
  const binary = '\u00ff'.repeat(20);
  assert.equal(ringKey(secret, binary), first52(`member:${binary}`));
  assert.equal(slotPhase(secret, 12), first52('slot:12'));
  assert.notEqual(ringKey(Buffer.alloc(32, 8), binary), ringKey(secret, binary), 'without the secret no key can be computed');
  assert.notEqual(slotPhase(secret, 13), slotPhase(secret, 12));
  assert.ok(ringKey(secret, binary) < RING_SIZE && Number.isInteger(ringKey(secret, binary)));

  // The index against a plain model: 300 inserts and 150 removals in random order, with equal keys among them.
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const ring = new RingIndex<{ ringKey: number; peerId: string }>();
  const model: Array<{ ringKey: number; peerId: string }> = [];
  for (let i = 0; i < 300; i++) {
    const entry = { ringKey: i % 50 === 0 ? 777 : Math.floor(random() * RING_SIZE), peerId: id20(`ring-${i}`) };
    ring.insert(entry);
    model.push(entry);
    if (i % 2 === 1) {
      const gone = model.splice(Math.floor(random() * model.length), 1)[0]!;
      ring.remove(gone);
    }
  }
  model.sort((a, b) => a.ringKey - b.ringKey || (a.peerId < b.peerId ? -1 : 1));
  assert.equal(ring.size, model.length);
  for (const from of [0, 777, 778, model[40]!.ringKey, Math.floor(random() * RING_SIZE), RING_SIZE - 1]) {
    const start = model.findIndex((entry) => entry.ringKey >= from);
    const clockwise = start < 0 ? model : [...model.slice(start), ...model.slice(0, start)];
    assert.deepEqual(ring.from(from, 20), clockwise.slice(0, 20), `from ${from}`);
    assert.deepEqual(ring.from(from, 1000), clockwise, 'wraps once, no further');
    for (const [place, entry] of clockwise.entries()) assert.equal(ring.placeOf(entry, from), place);
  }
});

test('the seeding order of the members read: ring order, one place per address per round', () => {
  const alone = (peerIds: string[]) => peerIds.map((peerId) => ({ peerId, address: peerId }));
  assert.deepEqual(seedingOrder(alone(['c', 'a', 'b'])), ['c', 'a', 'b']);
  assert.deepEqual(seedingOrder([]), []);
  // A crowd of one address among others: its first member keeps its place, the rest follow everyone's first, in ring order.
  const read = ['h1', 'x1', 'x2', 'h2', 'x3', 'h3'].map((peerId) => ({ peerId, address: peerId.startsWith('x') ? 'crowd' : peerId }));
  assert.deepEqual(seedingOrder(read), ['h1', 'x1', 'h2', 'h3', 'x2', 'x3']);

  assert.equal(seedersFor(0, null, 50), 1);
  assert.equal(seedersFor(1, null, 50), 1);
  assert.equal(seedersFor(50, null, 50), 1);
  assert.equal(seedersFor(51, null, 50), 2);
  assert.equal(seedersFor(1000, null, 50), 20);
  assert.equal(seedersFor(7, null, 3), 3);
});

function coordinationSuite(storeName: string, storeOptions: () => Promise<TrackerOptions>) {
  describe(`seeding coordination (${storeName} store)`, () => {
    let tracker: RunningTracker;
    before(async () => {
      // Every socket and request of these tests comes from one address: the limits have their own tests.
      tracker = await start({ ...(await storeOptions()), coordinationSlotMs: SLOT_MS, coordinationViewersPerSeeder: 3, coordinationRequestsPerMinute: 100_000, maxConnectionsPerIp: 1000 });
    });

    test('every member gets the same swarm_size and seeders and a distinct rank; a non-member gets null', async () => {
      const swarm = id20(`${storeName}-ranks`);
      const peerIds = await join([tracker], swarm, 'rank', PEERS);
      const asked = Date.now();
      const answers = await answersInOneSlot([tracker], swarm, peerIds);
      orderOf(answers, peerIds);
      assert.equal(answers[0]!.seeders, Math.ceil(PEERS / 3));
      assert.ok(answers[0]!.slot >= Math.floor(asked / SLOT_MS) && answers[0]!.slot <= Math.floor(Date.now() / SLOT_MS), 'slot = floor(now / slot_ms)');

      const outsider = await coordination(tracker, swarm, id20('rank-outsider'));
      assert.equal(outsider.rank, null);
      assert.equal(outsider.swarm_size, PEERS);
    });

    test('a swarm larger than the members read: still one distinct rank each, the first ranks from the read, the rest from each member\'s own place', async () => {
      const swarm = id20(`${storeName}-large`);
      // 100 members, 34 seeders and 2 backups at 3 viewers per seeder: 72 are read, 28 ask for their place.
      const peerIds = await join([tracker], swarm, 'large', 100);
      const answers = await answersInOneSlot([tracker], swarm, peerIds);
      orderOf(answers, peerIds);
      assert.equal(answers[0]!.seeders, 34);
    });

    test('a stream split over swarms (MAX_PEERS_PER_SWARM 10, 40 members): each member is ranked in its own swarm, once they joined and after each announced again', async () => {
      const capped = await start({ ...(await storeOptions()), maxPeersPerSwarm: 10, coordinationSlotMs: SLOT_MS, coordinationViewersPerSeeder: 3, coordinationRequestsPerMinute: 100_000, maxConnectionsPerIp: 1000 });
      const stream = id20(`${storeName}-cells`);
      const peerIds = Array.from({ length: 40 }, (_, i) => id20(`cells-${i}`));
      const sockets = [];
      for (const peerId of peerIds) {
        const socket = await connect(capped);
        await announce(socket, stream, peerId);
        sockets.push(socket);
      }
      const check = async (when: string) => {
        const answers = await answersInOneSlot([capped], stream, peerIds);
        const bySize = new Map<number, CoordinationAnswer[]>();
        for (const answer of answers) bySize.set(answer.swarm_size, [...(bySize.get(answer.swarm_size) ?? []), answer]);
        for (const [size, group] of bySize) {
          assert.ok(size >= 1 && size <= 10, `${when}: a swarm of ${size}`);
          // Each swarm of `size` members gives each rank 0..size-1 once.
          assert.equal(group.length % size, 0, `${when}: ${group.length} members in swarms of ${size}`);
          const ranks = group.map((answer) => answer.rank).sort((a, b) => a! - b!);
          assert.deepEqual(ranks, [...Array(size).keys()].flatMap((rank) => Array(group.length / size).fill(rank)), `${when}: ranks in swarms of ${size}`);
          assert.ok(group.every((answer) => answer.seeders === seedersFor(size, null, 3)));
        }
        assert.ok([...bySize.values()].reduce((cells, group) => cells + group.length / group[0]!.swarm_size, 0) >= 4, `${when}: 40 members in swarms of at most 10`);
      };
      // Members move into the swarms opened after they joined (each instance moves its own at once):
      // once that is done and the orders read again, every member of a swarm sees the same size.
      await sleep(ORDER_REFRESH_MS + 100);
      await check('once they joined');
      for (const [i, socket] of sockets.entries()) await announce(socket, stream, peerIds[i]!);
      await sleep(ORDER_REFRESH_MS + 100);
      await check('after every member announced again');
    });

    test("members' reports size the seeding to what the mesh carries, and viewers that do not upload, or have no peer to upload to, come after all that do", async () => {
      const swarm = id20(`${storeName}-reports`);
      const viewers = Array.from({ length: 40 }, () => newPeerIdentity((bytes) => randomFillSync(bytes)));
      const peerIds = viewers.map((viewer) => viewer.peerId);
      for (const peerId of peerIds) await announce(await connect(tracker), swarm, peerId);
      // 240p segments (100 kB), residential uplinks (15 Mbit/s), 2 s to the last backup; the last 10 on
      // cellular, and the 10 before them with no peer connected (unreachable ones).
      const report = (i: number) => ({
        uplink_kbit: '15000',
        segment_bytes: '100000',
        budget_ms: '2000',
        uploads: i < 30 ? '1' : '0',
        connected: i < 20 || i >= 30 ? '1' : '0',
        peer_secret: viewers[i]!.secret,
      });
      const ask = (peerId: string, params: Record<string, string> = {}) =>
        fetch(url(tracker, { info_hash: swarm, peer_id: peerId, ...params })).then(async (response) => {
          assert.equal(response.status, 200, await response.clone().text());
          return (await response.json()) as CoordinationAnswer;
        });
      const before = await Promise.all(peerIds.map((peerId, i) => ask(peerId, report(i))));
      assert.equal(before[0]!.seeders, seedersFor(40, null, 3), 'the reports count from the next read of the order');
      await sleep(ORDER_REFRESH_MS + 100);
      const answers = await answersInOneSlot([tracker], swarm, peerIds);
      orderOf(answers, peerIds);
      // 7 hops of 253 ms in 2 s, 3 in 4 of the members uploading: one copy reaches 1.75^7 ≈ 50 viewers.
      assert.equal(answers[0]!.seeders, 1);
      assert.ok(answers.slice(20).every((answer) => answer.rank! >= 20), `cellular and unconnected viewers ranked ${answers.slice(20).map((answer) => answer.rank)}`);
      // A third of the members lie, as slow as can be (they would make everyone fetch): the medians stand.
      await Promise.all(peerIds.slice(0, 13).map((peerId, i) => ask(peerId, { ...report(i), uplink_kbit: '1', segment_bytes: '100000000', budget_ms: '100' })));
      await sleep(ORDER_REFRESH_MS + 100);
      assert.equal((await ask(peerIds[20]!)).seeders, 1, 'a minority of reports moves no median');
      // Out-of-range reports are refused, not clamped into a figure; a report without the peer_id's proof too.
      const refused: Array<Record<string, string>> = [{ uplink_kbit: '0' }, { segment_bytes: '1e12' }, { budget_ms: '5' }, { uploads: '2' }, { connected: '-1' }];
      for (const bad of refused) {
        const response = await fetch(url(tracker, { info_hash: swarm, peer_id: peerIds[0]!, peer_secret: viewers[0]!.secret, ...bad }));
        assert.equal(response.status, 400, JSON.stringify(bad));
        assert.match(String(((await response.json()) as Record<string, unknown>)['failure reason']), new RegExp(Object.keys(bad)[0]!));
      }
      const unproven = await fetch(url(tracker, { info_hash: swarm, peer_id: peerIds[0]!, uploads: '0' }));
      assert.equal(unproven.status, 403);
      assert.match(String(((await unproven.json()) as Record<string, unknown>)['failure reason']), /a report needs the peer_secret that proves peer_id/);
    });

    test('a swarm read whole takes turns: the order changes every slot, and the seeder of one slot does not seed the next within a round', async () => {
      const swarm = id20(`${storeName}-slots`);
      const peerIds = await join([tracker], swarm, 'slot', PEERS);
      const orders = new Map<number, string[]>();
      while (orders.size < PEERS) {
        const answers = await answersInOneSlot([tracker], swarm, peerIds);
        orders.set(answers[0]!.slot, orderOf(answers, peerIds));
        await sleep(answers[0]!.next_slot_in_ms + 10);
      }
      // A loaded machine may skip a slot: every pair of slots seen one apart is checked.
      let pairs = 0;
      for (const [slot, order] of orders) {
        const next = orders.get(slot + 1);
        if (!next) continue;
        assert.notDeepEqual(next, order, `slots ${slot} and ${slot + 1} have one order`);
        if ((slot + 1) % TURN_ROUND === 0) continue;
        pairs++;
        assert.notEqual(next[0], order[0], `${order[0]} seeds slots ${slot} and ${slot + 1}`);
      }
      assert.ok(pairs > 0, `no two slots one apart within a round among ${[...orders.keys()]}`);
    });

    test('an unknown swarm is not remembered; a newcomer is ranked and a leaver dropped within the refresh', async () => {
      const swarm = id20(`${storeName}-fresh`);
      const first = id20('fresh-first');
      assert.deepEqual(
        { ...(await coordination(tracker, swarm, first)), slot: 0, next_slot_in_ms: 0 },
        { swarm_size: 0, seeders: 1, rank: null, slot: 0, slot_ms: SLOT_MS, next_slot_in_ms: 0 },
      );
      const firstSocket = await connect(tracker);
      await announce(firstSocket, swarm, first);
      assert.deepEqual([(await coordination(tracker, swarm, first)).rank, (await coordination(tracker, swarm, first)).swarm_size], [0, 1], 'no cached empty swarm');

      const newcomer = id20('fresh-newcomer');
      await announce(await connect(tracker), swarm, newcomer);
      const answer = await waitFor(() => coordination(tracker, swarm, newcomer), (reply) => reply.rank !== null, {
        timeoutMs: ORDER_REFRESH_MS + 500,
        intervalMs: 100,
      });
      assert.equal(answer.swarm_size, 2);
      assert.ok(answer.rank === 0 || answer.rank === 1, `newcomer rank ${answer.rank}`);

      firstSocket.close();
      await firstSocket.closed;
      await sleep(ORDER_REFRESH_MS + 100);
      assert.deepEqual([(await coordination(tracker, swarm, first)).rank, (await coordination(tracker, swarm, newcomer)).rank], [null, 0]);
    });

    test('answers are counted by outcome on /metrics', async () => {
      const counts = async () => {
        const text = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
        const count = (outcome: string) => Number(new RegExp(`^swarmcast_coordination_requests_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
        return { member: count('member'), not_member: count('not_member'), unknown_swarm: count('unknown_swarm') };
      };
      const swarm = id20(`metrics-${storeName}`);
      const peerIds = await join([tracker], swarm, 'metrics', 3);
      const earlier = await counts();
      // The swarm was never read before, so the first answer reads all three members.
      for (const peerId of peerIds) assert.notEqual((await coordination(tracker, swarm, peerId)).rank, null);
      assert.equal((await coordination(tracker, swarm, id20('metrics-outsider'))).rank, null);
      for (const peerId of peerIds.slice(0, 2)) assert.equal((await coordination(tracker, id20(`unknown-${storeName}`), peerId)).swarm_size, 0);
      const later = await counts();
      assert.deepEqual(
        { member: later.member - earlier.member, not_member: later.not_member - earlier.not_member, unknown_swarm: later.unknown_swarm - earlier.unknown_swarm },
        { member: 3, not_member: 1, unknown_swarm: 2 },
      );
    });
  });
}

coordinationSuite('memory', async () => ({}));
let redis: Promise<RedisServer> | undefined;
let cluster: Promise<RedisCluster> | undefined;
coordinationSuite('redis', async () => ({ redisUrl: (await (redis ??= startRedis())).url, redisKeyPrefix: 'coordination-test:' }));
coordinationSuite('redis cluster', async () => ({ redisClusterNodes: (await (cluster ??= startRedisCluster())).nodes }));
after(async () => {
  await Promise.all([redis?.then((server) => server.stop()), cluster?.then((nodes) => nodes.stop())]);
});

describe('seeding coordination across two instances on one Redis', () => {
  test('both instances give every member the same rank, whichever instance holds its socket', async () => {
    const options: TrackerOptions = { redisUrl: (await (redis ??= startRedis())).url, redisKeyPrefix: 'coordination-pair:', coordinationSlotMs: SLOT_MS };
    const pair = [await start(options), await start(options)];
    const swarm = id20('two-instances');
    const peerIds = await join(pair, swarm, 'pair', PEERS);
    for (let round = 0; round < 5; round++) {
      // Each peer asks both instances: answers from A for even peers and B for odd, then the other way round.
      const fromOne = await answersInOneSlot(pair, swarm, peerIds);
      const fromOther = await answersInOneSlot([pair[1]!, pair[0]!], swarm, peerIds);
      if (fromOne[0]!.slot !== fromOther[0]!.slot) continue;
      assert.deepEqual(orderOf(fromOther, peerIds), orderOf(fromOne, peerIds));
      return;
    }
    assert.fail('the two instances were never asked within one slot');
  });
});

describe('seeding coordination: caching, refusals and compatibility', () => {
  test('a swarm is read once per refresh, not per request: a newcomer is ranked behind the members read until the next read', async () => {
    const tracker = await start({});
    const swarm = id20('cached');
    const [member] = await join([tracker], swarm, 'cached', 1);
    const earlier = await coordination(tracker, swarm, member!);
    await announce(await connect(tracker), swarm, id20('cached-newcomer'));
    const cached = await coordination(tracker, swarm, id20('cached-newcomer'));
    if (cached.slot === earlier.slot) assert.deepEqual([cached.swarm_size, cached.rank], [2, 1], 'ranked behind the member read before it joined');
    await sleep(ORDER_REFRESH_MS);
    const read = await coordination(tracker, swarm, id20('cached-newcomer'));
    assert.equal(read.swarm_size, 2);
    assert.ok(read.rank === 0 || read.rank === 1, `rank ${read.rank}`);
  });

  test('bad or missing parameters get 400 with a failure reason', async () => {
    const tracker = await start({});
    const good = id20('good');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ peer_id: good }, /info_hash is required/],
      [{ info_hash: good }, /peer_id is required/],
      [{ info_hash: 'short', peer_id: good }, /info_hash must be a 20-character/],
      [{ info_hash: good, peer_id: 'x'.repeat(21) }, /peer_id must be a 20-character/],
      [{ info_hash: good.slice(0, 19) + '\u0100', peer_id: good }, /info_hash must be a 20-character string of code points up to 0xFF/],
    ];
    for (const [params, reason] of cases) {
      const response = await fetch(url(tracker, params));
      assert.equal(response.status, 400, JSON.stringify(params));
      assert.match(((await response.json()) as Record<string, string>)['failure reason']!, reason);
    }
    const twice = await fetch(`${tracker.httpUrl}/coordination?info_hash=${good}&info_hash=${good}&peer_id=${good}`);
    assert.equal(twice.status, 400);
  });

  test('more than COORDINATION_REQUESTS_PER_MINUTE from one address get 429', async () => {
    const tracker = await start({ coordinationRequestsPerMinute: 3 });
    const ask = () => fetch(url(tracker, { info_hash: id20('limited'), peer_id: id20('limited') }));
    for (let i = 0; i < 3; i++) assert.equal((await ask()).status, 200);
    const refused = await ask();
    assert.equal(refused.status, 429);
    assert.ok(refused.headers.get('retry-after'));
    assert.match(((await refused.json()) as Record<string, string>)['failure reason']!, /at most 3 coordination requests per minute/);
  });

  test('CORS is open, answers are not cached, preflights are answered; COORDINATION=off gives 404', async () => {
    const tracker = await start({});
    const response = await fetch(url(tracker, { info_hash: id20('cors'), peer_id: id20('cors') }), { headers: { origin: 'https://site.example' } });
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const preflight = await fetch(`${tracker.httpUrl}/coordination`, { method: 'OPTIONS', headers: { origin: 'https://site.example', 'access-control-request-headers': 'authorization' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);

    const off = await start({ coordination: 'off' });
    const disabled = await fetch(url(off, { info_hash: id20('off'), peer_id: id20('off') }));
    assert.equal(disabled.status, 404);
    assert.match(((await disabled.json()) as Record<string, string>)['failure reason']!, /off/);
  });

  test('ALLOWED_ORIGINS and TRACKER_AUTH apply as on the WebSocket', async () => {
    const key = 'coordination-key-0123456789';
    const tracker = await start({ trackerAuth: 'required', tokenKeys: [key], allowedOrigins: ['https://video.example'], allowEmptyOrigin: true });
    const swarm = id20('private');
    const token = mintToken({ infoHashes: [swarm], ttlSec: 600 }, key);
    const member = id20('private-member');
    await announce(await connect(tracker, `?token=${token}`), swarm, member);

    const ask = (params: Record<string, string>, headers: Record<string, string> = {}) => fetch(url(tracker, { info_hash: swarm, peer_id: member, ...params }), { headers });
    assert.equal((await ask({})).status, 401);
    assert.equal((await ask({ token: 'forged.token' })).status, 401);
    const byQuery = await ask({ token }, { origin: 'https://video.example' });
    assert.equal(byQuery.status, 200);
    assert.equal(((await byQuery.json()) as CoordinationAnswer).rank, 0);
    assert.equal(byQuery.headers.get('access-control-allow-origin'), 'https://video.example');
    assert.equal((await ask({}, { authorization: `Bearer ${token}` })).status, 200);
    const uncovered = await ask({ token, info_hash: id20('elsewhere') });
    assert.equal(uncovered.status, 403);
    assert.match(((await uncovered.json()) as Record<string, string>)['failure reason']!, /does not cover this info_hash/);
    const foreign = await ask({ token }, { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });

  test('configuration fails fast naming the variable', () => {
    assert.throws(() => loadConfig({ COORDINATION: 'maybe' }), /COORDINATION must be on or off/);
    assert.throws(() => loadConfig({ COORDINATION_SLOT_MS: '500' }), /COORDINATION_SLOT_MS must be an integer from 1000/);
    assert.throws(() => loadConfig({ COORDINATION_VIEWERS_PER_SEEDER: '0' }), /COORDINATION_VIEWERS_PER_SEEDER/);
    assert.throws(() => loadConfig({ COORDINATION_REQUESTS_PER_MINUTE: 'lots' }), /COORDINATION_REQUESTS_PER_MINUTE/);
    const config = loadConfig({ COORDINATION: 'off', COORDINATION_SLOT_MS: '5000', COORDINATION_VIEWERS_PER_SEEDER: '20', COORDINATION_REQUESTS_PER_MINUTE: '60' });
    assert.deepEqual([config.coordination, config.coordinationSlotMs, config.coordinationViewersPerSeeder, config.coordinationRequestsPerMinute], ['off', 5000, 20, 60]);
  });

  test('an unmodified client announcing with offers gets exactly the usual reply', async () => {
    const tracker = await start({});
    const swarm = id20('unmodified');
    const client = await connect(tracker);
    client.send({
      action: 'announce', info_hash: swarm, peer_id: id20('-PM0203-unmodified'), numwant: 5, uploaded: 0, downloaded: 0, event: 'started',
      offers: [{ offer_id: id20('unmodified-o0'), offer: { type: 'offer', sdp: 'v=0\r\n' } }],
    });
    assert.deepEqual(await client.next(isAnnounceResponse(swarm)), { action: 'announce', interval: 120, info_hash: swarm, complete: 0, incomplete: 1 });
  });
});
