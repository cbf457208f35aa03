// Seeding coordination in the SDK without a browser: roles from the tracker's answer, the HTTP
// windows each role gets, the client's polling and the planner that decides with them (injected
// fetch, clock and timers).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { createHash } from 'node:crypto';
import { CoordinationClient } from '../src/coordination-client.ts';
import { HTTP_FIRST_WINDOW_SEC, initialCoreConfig, JOIN_GRACE_SEC, JOIN_PEER_WAIT_MS, planLoading, RELAY_STAGGER_SEC, STALL_MARGIN_SEC, type PlaybackSnapshot } from '../src/loading-policy.ts';
import { defaultOptions } from '../src/options.ts';
import { BACKUP_LEAD, BACKUPS, COORDINATION_STALE_MS, seedingRole, type SwarmCoordination } from '../src/seeding-role.ts';
import { SeedingPlanner } from '../src/seeding-planner.ts';
import { swarmInfoHash } from '../src/swarm-identity.ts';
import { provenSuffix, provesPeerId } from '@swarmcast/protocol/peer-proof';

const options = { liveLatency: 12, httpFallbackBuffer: defaultOptions.httpFallbackBuffer, policy: 'peer-first' as const };
const live: PlaybackSnapshot = { isLive: true, bufferAhead: 6, connectedPeers: 3, recentStall: false, segmentDuration: 2 };
const answer = (rank: number | null, seeders = 1): SwarmCoordination => ({ swarmSize: 10, seeders, rank, slotEndsAt: 20_000, receivedAt: 1000 });

describe('seedingRole', () => {
  test('the first `seeders` ranks seed, the next BACKUPS back up in order, the rest relay', () => {
    assert.deepEqual(seedingRole(answer(0), 2000), { kind: 'seeder' });
    assert.deepEqual(seedingRole(answer(1, 2), 2000), { kind: 'seeder' });
    assert.deepEqual(seedingRole(answer(2, 2), 2000), { kind: 'backup', order: 0 });
    assert.deepEqual(seedingRole(answer(1 + BACKUPS - 1), 2000), { kind: 'backup', order: BACKUPS - 1 });
    assert.deepEqual(seedingRole(answer(1 + BACKUPS), 2000), { kind: 'relay' });
  });

  test('no answer, a stale answer, or alone and unknown: no role (behave as uncoordinated)', () => {
    assert.equal(seedingRole(undefined, 2000), null);
    assert.equal(seedingRole({ ...answer(null), swarmSize: 0 }, 2000), null);
    assert.equal(seedingRole({ ...answer(0), swarmSize: 1 }, 2000), null, 'alone: nobody to wait for');
    assert.equal(seedingRole(answer(0), 1000 + COORDINATION_STALE_MS + 1), null);
  });

  test('not listed yet in a swarm that has members (starting up): a relay', () => {
    assert.deepEqual(seedingRole(answer(null), 2000), { kind: 'relay' });
  });

  test('past the slot end the old role stands until the next answer (a missing seeder costs more than two)', () => {
    assert.deepEqual(seedingRole(answer(0), 20_500), { kind: 'seeder' });
  });
});

describe('planLoading with a seeding role (live)', () => {
  const horizon = options.liveLatency + 2 * live.segmentDuration;
  const meshTime = options.liveLatency - 2 * live.segmentDuration - options.httpFallbackBuffer;

  test('a seeder fetches up to the live edge over HTTP', () => {
    const plan = planLoading({ ...live, role: { kind: 'seeder' } }, options, 0.5);
    assert.equal(plan.highDemandTimeWindow, horizon);
    assert.equal(plan.httpDownloadTimeWindow, horizon);
  });

  test('with no peer connected (unreachable, or its peers gone) every role is HTTP-first: nobody to wait for', () => {
    for (const role of [{ kind: 'seeder' as const }, { kind: 'backup' as const, order: 0 }, { kind: 'relay' as const }]) {
      const plan = planLoading({ ...live, connectedPeers: 0, role }, options, 0);
      assert.equal(plan.highDemandTimeWindow, HTTP_FIRST_WINDOW_SEC, role.kind);
      assert.equal(plan.httpDownloadInitialTimeoutMs, JOIN_PEER_WAIT_MS, 'a joiner still waits for its first peers before that');
    }
  });

  test('a coordinated joiner with no peer yet keeps only the floor for JOIN_GRACE_SEC, then goes HTTP-first', () => {
    const joiner = { ...live, connectedPeers: 0, role: { kind: 'relay' as const } };
    assert.equal(planLoading({ ...joiner, sinceStartSec: 2 }, options, 0.5).highDemandTimeWindow, options.httpFallbackBuffer);
    assert.equal(planLoading({ ...joiner, sinceStartSec: 2, recentStall: true }, options, 0.5).highDemandTimeWindow, options.httpFallbackBuffer + STALL_MARGIN_SEC);
    assert.equal(planLoading({ ...joiner, sinceStartSec: JOIN_GRACE_SEC }, options, 0.5).highDemandTimeWindow, HTTP_FIRST_WINDOW_SEC);
    assert.equal(planLoading({ ...joiner, sinceStartSec: 2, role: null }, options, 0.5).highDemandTimeWindow, HTTP_FIRST_WINDOW_SEC, 'uncoordinated: nobody to wait for');
    assert.equal(planLoading({ ...joiner, sinceStartSec: 2, isLive: false }, options, 0.5).highDemandTimeWindow, HTTP_FIRST_WINDOW_SEC);
  });

  test('backups fetch at staggered deadlines between the floor and the live edge, earliest first', () => {
    const first = planLoading({ ...live, role: { kind: 'backup', order: 0 } }, options, 0.5);
    const second = planLoading({ ...live, role: { kind: 'backup', order: 1 } }, options, 0.5);
    assert.equal(first.highDemandTimeWindow, options.httpFallbackBuffer + BACKUP_LEAD[0] * meshTime);
    assert.equal(second.highDemandTimeWindow, options.httpFallbackBuffer + BACKUP_LEAD[1] * meshTime);
    assert.ok(first.highDemandTimeWindow > second.highDemandTimeWindow);
    assert.ok(first.highDemandTimeWindow < options.liveLatency - live.segmentDuration, 'a new segment first waits for the seeder');
  });

  test('relays wait for the mesh down to the floor (plus a small stagger) and never seed at random', () => {
    for (const random of [0, 0.5, 0.999]) {
      const plan = planLoading({ ...live, role: { kind: 'relay' } }, options, random);
      assert.ok(plan.highDemandTimeWindow >= options.httpFallbackBuffer && plan.highDemandTimeWindow <= options.httpFallbackBuffer + RELAY_STAGGER_SEC);
      assert.equal(plan.httpDownloadTimeWindow, plan.highDemandTimeWindow, 'no random HTTP loading beyond the deadline');
      assert.ok(plan.p2pDownloadTimeWindow >= horizon, 'peers reach the live edge');
    }
  });

  test('before any answer a player starts over HTTP at once (a lone viewer must not wait)', () => {
    assert.equal(initialCoreConfig(options).httpDownloadInitialTimeoutMs, 0);
    assert.equal(initialCoreConfig(options).highDemandTimeWindow, HTTP_FIRST_WINDOW_SEC);
  });

  test('with a role (others watch) a joiner first waits for peers; without one it never does', () => {
    assert.equal(planLoading({ ...live, connectedPeers: 0, role: { kind: 'relay' } }, options, 0).httpDownloadInitialTimeoutMs, JOIN_PEER_WAIT_MS);
    assert.equal(planLoading({ ...live, connectedPeers: 0 }, options, 0).httpDownloadInitialTimeoutMs, 0);
    assert.equal(planLoading({ ...live, isLive: false, role: { kind: 'relay' } }, options, 0).httpDownloadInitialTimeoutMs, 0);
  });

  test('after a stall every role keeps the stall margin', () => {
    const plan = planLoading({ ...live, recentStall: true, role: { kind: 'relay' } }, options, 0);
    assert.equal(plan.highDemandTimeWindow, options.httpFallbackBuffer + STALL_MARGIN_SEC);
  });

  test('VOD ignores roles', () => {
    const vod = { ...live, isLive: false };
    assert.deepEqual(planLoading({ ...vod, role: { kind: 'seeder' } }, options, 0.3), planLoading(vod, options, 0.3));
  });
});

describe('swarm identity', () => {
  test('info_hash: base64 of the first 15 bytes of sha1 of the swarm string, 20 characters', () => {
    // sha1("v2-x-main-0") computed independently with node:crypto.
    const expected = createHash('sha1').update('v2-x-main-0').digest().subarray(0, 15).toString('base64');
    assert.equal(swarmInfoHash('x', 'main', 0), expected);
    assert.equal(swarmInfoHash('x', 'main', 0).length, 20);
  });
});

describe('CoordinationClient', () => {
  const PEER_ID = '-PM0203-abcdefghijkl';
  const PEER_SECRET = 's'.repeat(22);
  const reply = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());
  /** Lets the poll's promise chain (fetch, json) run; setImmediate is not mocked. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  /** Advances the mocked clock by `ms`, then lets any poll it started finish. */
  const advance = async (ms: number) => {
    mock.timers.tick(ms);
    await settle();
  };

  test('asks the tracker\'s HTTP side with info_hash, peer_id and the tracker URL\'s token; keeps the answer on its clock', async () => {
    const urls: string[] = [];
    const client = new CoordinationClient({
      tracker: 'wss://tracker.example/announce?token=abc&x=1',
      peerId: PEER_ID,
      peerSecret: PEER_SECRET,
      now: () => 5000,
      random: () => 0.5,
      fetch: async (input) => {
        urls.push(String(input));
        return reply({ swarm_size: 7, seeders: 1, rank: 3, slot: 9, slot_ms: 20_000, next_slot_in_ms: 4000 });
      },
    });
    client.watch('hash+/=');
    client.watch('hash+/=');
    await advance(0);
    assert.equal(urls.length, 1, 'watching twice polls once');
    const url = new URL(urls[0]!);
    assert.equal(url.origin + url.pathname, 'https://tracker.example/coordination');
    assert.equal(url.searchParams.get('info_hash'), 'hash+/=');
    assert.equal(url.searchParams.get('peer_id'), PEER_ID);
    assert.equal(url.searchParams.get('token'), 'abc');
    assert.equal(url.searchParams.get('x'), null);
    assert.deepEqual(client.get('hash+/='), { swarmSize: 7, seeders: 1, rank: 3, slotEndsAt: 9000, receivedAt: 5000 });

    // The next poll: just after the slot boundary, plus random × SLOT_JITTER_MS (500).
    await advance(4249);
    assert.equal(urls.length, 1, 'not before the next slot (+ jitter)');
    await advance(1);
    assert.equal(urls.length, 2, 'at the next slot (+ jitter)');
    client.stop();
    await advance(60_000);
    assert.equal(urls.length, 2, 'nothing after stop()');
  });

  test('an unknown peer asks again soon; a malformed answer does not replace the last good one', async () => {
    const answers = [reply({ swarm_size: 1, seeders: 1, rank: null, slot: 9, slot_ms: 20_000, next_slot_in_ms: 100 }), reply({ rank: 'x' })];
    let calls = 0;
    const client = new CoordinationClient({ tracker: 'ws://t:8000', peerId: PEER_ID,
      peerSecret: PEER_SECRET, fetch: async () => answers[calls++] ?? reply({}, 500) });
    client.watch('h');
    await advance(0);
    assert.equal(calls, 1);
    await advance(999);
    assert.equal(calls, 1, 'rank null: not again before a second');
    await advance(1);
    assert.equal(calls, 2, 'rank null: again after a second');
    await advance(4999);
    assert.equal(calls, 2, 'a malformed answer backs off POLL_MS');
    await advance(1);
    assert.equal(calls, 3);
    await advance(9999);
    assert.equal(calls, 3, 'a second failure backs off twice as long');
    await advance(1);
    assert.equal(calls, 4);
    client.stop();
    assert.deepEqual({ ...client.get('h'), slotEndsAt: 0, receivedAt: 0 }, { swarmSize: 1, seeders: 1, rank: null, slotEndsAt: 0, receivedAt: 0 });
  });

  test("a backup's own fetches are told at once, with the secret, then forgotten; never for a swarm not watched", async () => {
    const urls: URL[] = [];
    const client = new CoordinationClient({
      tracker: 'ws://t:8000/?token=abc',
      peerId: PEER_ID,
      peerSecret: PEER_SECRET,
      random: () => 0,
      fetch: async (input) => {
        urls.push(new URL(String(input)));
        return reply({ swarm_size: 9, seeders: 1, rank: 1, slot: 9, slot_ms: 20_000, next_slot_in_ms: 4000 });
      },
    });
    client.reportMissed('h');
    client.watch('h');
    await advance(0);
    assert.deepEqual([urls.length, urls[0]!.searchParams.get('missed'), urls[0]!.searchParams.get('peer_secret')], [1, null, null], 'an ordinary poll carries neither');
    client.reportMissed('h');
    client.reportMissed('h');
    await advance(0);
    assert.equal(urls.length, 2, 'told at once, not at the next slot');
    assert.deepEqual([urls[1]!.searchParams.get('missed'), urls[1]!.searchParams.get('peer_secret'), urls[1]!.searchParams.get('token')], ['2', PEER_SECRET, 'abc']);
    await advance(4000);
    assert.equal(urls.length, 3, 'then the usual next slot');
    assert.equal(urls[2]!.searchParams.get('missed'), null, 'a report is sent once');
    client.reportMissed('other');
    await advance(0);
    assert.equal(urls.length, 3, 'a swarm not watched is not reported');
    client.stop();
  });

  test('a tracker without coordination (404) is asked once, whatever is watched after', async () => {
    let calls = 0;
    const client = new CoordinationClient({ tracker: 'ws://t:8000', peerId: PEER_ID,
      peerSecret: PEER_SECRET, fetch: async () => {
      calls++;
      return reply({ 'failure reason': 'seeding coordination is off' }, 404);
    } });
    client.watch('a');
    await advance(0);
    assert.equal(calls, 1);
    client.watch('b');
    await advance(60_000);
    client.stop();
    assert.equal(calls, 1);
    assert.equal(client.get('a'), undefined);
  });
});

describe('SeedingPlanner (the player and the load tester both decide through it)', () => {
  const reply = (body: unknown) => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());
  /** Runs the polls due now (mocked timers), then lets their fetch and json resolve. */
  const settle = async () => {
    mock.timers.tick(0);
    await new Promise((resolve) => setImmediate(resolve));
  };
  const coordinated = { ...options, coordination: true };
  const snapshot = { isLive: true, bufferAhead: 6, connectedPeers: 3, recentStall: false, segmentDuration: 2 };
  /** A planner whose tracker answers `rank` of 10 (1 seeder), with its requests recorded. */
  const plannerAt = (rank: number | null, setup: Partial<ConstructorParameters<typeof SeedingPlanner>[0]> = {}) => {
    const urls: URL[] = [];
    const planner = new SeedingPlanner({
      options: coordinated,
      p2p: true,
      trackers: ['ws://t:8000/?token=abc'],
      random: () => 0.5,
      now: () => 1000,
      fetch: async (input) => {
        urls.push(new URL(String(input)));
        return reply({ swarm_size: 10, seeders: 1, rank, slot: 9, slot_ms: 20_000, next_slot_in_ms: 5000 });
      },
      ...setup,
    });
    return { planner, urls };
  };

  test('coordination applies to live peer-first P2P with a tracker, and only then; otherwise every answer is the uncoordinated one', async () => {
    const off = [
      { options: { ...coordinated, coordination: false } },
      { options: { ...coordinated, policy: 'library-default' as const } },
      { p2p: false },
      { trackers: [] },
    ];
    for (const setup of off) {
      const { planner, urls } = plannerAt(0, setup);
      assert.equal(planner.coordinated, false, JSON.stringify(setup));
      assert.deepEqual(planner.coreIdentity(['ws://t:8000/']), { announceTrackers: ['ws://t:8000/'] }, 'p2p-media-loader draws its own peer_id');
      assert.equal(planner.role('h'), null);
      await settle();
      assert.equal(urls.length, 0, 'the tracker is never asked');
      const plan = planner.plan(snapshot, 'h');
      if (setup.options?.policy === 'library-default') assert.equal(plan, null, 'no plan: the library decides');
      else assert.deepEqual(plan, planLoading({ ...snapshot, role: null }, setup.options ?? coordinated, 0.5));
    }
  });

  test("a coordinated viewer: its own proven peer_id, the tracker's role in the swarm it plays, and the plan for that role", async () => {
    const { planner, urls } = plannerAt(0);
    planner.connectedPeers(2);
    const identity = planner.coreIdentity(['ws://t:8000/?token=abc']);
    assert.equal(identity.trackerClientVersionPrefix, planner.peerId);
    const announced = new URL(identity.announceTrackers[0]!);
    assert.equal(announced.searchParams.get('token'), 'abc');
    assert.ok(provesPeerId(provenSuffix(announced.searchParams.get('peer_secret')!), planner.peerId), 'the tracker URL proves the peer_id');
    assert.equal(planner.role('h'), null, 'no answer yet: uncoordinated');
    await settle();
    assert.equal(urls[0]!.searchParams.get('peer_id'), planner.peerId);
    assert.equal(urls[0]!.searchParams.get('peer_secret'), null, 'the secret goes to the WebSocket, not to every poll');
    assert.deepEqual(planner.role('h'), { kind: 'seeder' });
    assert.equal(planner.swarmSize('h'), 10);
    assert.deepEqual(planner.plan(snapshot, 'h'), planLoading({ ...snapshot, role: { kind: 'seeder' } }, coordinated, 0.5));
    planner.stop();
  });

  test('each poll says what the viewer knows about itself: its uplink as its uploads show it, whether it uploads and has a peer, its segments and its mesh budget', async () => {
    let clock = 1000;
    const { planner, urls } = plannerAt(0, { now: () => clock });
    planner.connectedPeers(1);
    planner.follow('h');
    await settle();
    assert.deepEqual([...urls[0]!.searchParams.keys()].sort(), ['info_hash', 'peer_id', 'token'], 'nothing to say yet: no report, no secret');
    // A 100 kB segment to one peer in 16 kB chunks, 10 ms apart (12.8 Mbit/s), then a second one; a 10 kB one says nothing.
    for (const peer of ['a', 'b']) {
      for (let chunk = 0; chunk < 7; chunk++, clock += 10) planner.uploaded(16_000, peer);
      clock += 1000;
    }
    planner.uploaded(10_000, 'c');
    clock += 1000;
    for (const bytes of [90_000, 120_000, 100_000]) planner.segmentLoaded('h', bytes);
    planner.plan(snapshot, 'h');
    assert.deepEqual(planner.report('h'), {
      uplinkKbit: Math.round((6 * 16_000 * 8) / 60),
      uploads: true,
      connected: true,
      segmentBytes: 100_000,
      // Up to the last backup's deadline, of the mesh's time: 12 s latency - 2 segments of 2 s - the floor.
      budgetMs: Math.round((1 - BACKUP_LEAD[BACKUP_LEAD.length - 1]!) * (12 - 4 - defaultOptions.httpFallbackBuffer) * 1000),
    });
    assert.equal(planner.report('other').segmentBytes, null, 'sizes are per swarm');
    // The next poll says it, with the proof of the peer_id; the one after, unchanged, does not.
    mock.timers.tick(5000);
    await settle();
    const reported = urls[1]!.searchParams;
    assert.deepEqual(
      ['uplink_kbit', 'segment_bytes', 'budget_ms', 'uploads', 'connected'].map((name) => reported.get(name)),
      [String(Math.round((6 * 16_000 * 8) / 60)), '100000', String(planner.report('h').budgetMs), '1', '1'],
    );
    assert.ok(provesPeerId(provenSuffix(reported.get('peer_secret')!), planner.peerId));
    mock.timers.tick(5000);
    await settle();
    assert.deepEqual([...urls[2]!.searchParams.keys()].sort(), ['info_hash', 'peer_id', 'token']);
    // Its last peer gone, it says so at the next poll: a copy it fetched now would reach nobody.
    planner.connectedPeers(0);
    mock.timers.tick(5000);
    await settle();
    assert.equal(urls[3]!.searchParams.get('connected'), '0');
    planner.stop();
    const cellular = plannerAt(0, { uploads: false });
    assert.equal(cellular.planner.report('h').uploads, false);
    cellular.planner.stop();
    // A viewer no peer has reached yet (just joined, or unreachable) says so from its first poll.
    const alone = plannerAt(0);
    alone.planner.follow('h');
    await settle();
    assert.deepEqual(['uploads', 'connected'].map((name) => alone.urls[0]!.searchParams.get(name)), ['1', '0']);
    alone.planner.stop();
  });

  test("a backup's own origin fetch with peers is reported at once; a relay's, or one without peers, is not", async () => {
    for (const [rank, peers, reported] of [[1, 3, true], [1, 0, false], [5, 3, false]] as const) {
      const { planner, urls } = plannerAt(rank);
      planner.follow('h');
      await settle();
      planner.originFetch('h', peers);
      await settle();
      assert.equal(urls.length, reported ? 2 : 1, `rank ${rank}, ${peers} peers`);
      if (reported) assert.equal(urls[1]!.searchParams.get('missed'), '1');
      planner.stop();
    }
  });
});
