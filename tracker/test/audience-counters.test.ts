/**
 * The audience byte counters (`swarmcast_audience_{http,p2p,uploaded}_bytes_total`) through HTTP
 * against running trackers, on the memory store and on Redis with beats spread over two instances:
 * each accepted beat adds exactly the bytes the store accepted for it (cross-checked against the
 * dashboard's totals), a replayed or older beat adds nothing, a forged claim adds only what its
 * wall time allows, the counters never go down, and beats for many streams add no series.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Beat } from '@swarmcast/protocol/beat-schema';
import { startRedis, type RedisServer } from '@swarmcast/testkit';
import type { TrackerOptions } from '../src/app.ts';
import { BITRATE_MARGIN, BUCKET_MS, bucketStart, FIRST_BEAT_WATCH_MS, type StreamSummary } from '../src/telemetry/aggregate.ts';
import { startTracker, type RunningTracker } from './support/tracker-fixture.ts';

/** A low top bitrate makes the store's byte bound small and round: 20 bytes per ms of wall time. */
const TOP_BITRATE = 80_000;
const BYTES_PER_MS = (TOP_BITRATE * BITRATE_MARGIN) / 8000;
const MAX_STREAMS = 5;
const HUGE = Number.MAX_SAFE_INTEGER;

const COUNTERS = { http: 'swarmcast_audience_http_bytes_total', p2p: 'swarmcast_audience_p2p_bytes_total', up: 'swarmcast_audience_uploaded_bytes_total' } as const;
type Kind = keyof typeof COUNTERS;
type Bytes = Record<Kind, number>;
const KINDS = Object.keys(COUNTERS) as Kind[];
const bytes = (http: number, p2p: number, up: number): Bytes => ({ http, p2p, up });
const NONE = bytes(0, 0, 0);

function beat(stream: string, sid: string, seq: number, fields: Partial<Beat> = {}): Beat {
  return {
    v: 1, sid, seq, stream, http: 0, p2p: 0, up: 0, peers: 0, stalls: 0, stallMs: 0, watchMs: 0,
    startupMs: null, latencyMs: null, errors: 0, rendition: null, ...fields,
  };
}

const forged = (stream: string, sid: string, seq: number): Beat => beat(stream, sid, seq, { http: HUGE, p2p: HUGE, up: HUGE, peers: 3, watchMs: HUGE });

async function scrape(tracker: RunningTracker): Promise<string> {
  return (await fetch(`${tracker.httpUrl}/metrics`)).text();
}

/** The value of an unlabelled sample, or of `name{labels}`. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const prefix = labels ? `${name}{${labels}} ` : `${name} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

async function summary(tracker: RunningTracker, stream: string): Promise<StreamSummary> {
  const response = await fetch(`${tracker.httpUrl}/dashboard/api/streams/${encodeURIComponent(stream)}`);
  assert.equal(response.status, 200);
  return (await response.json()) as StreamSummary;
}

/** The collector stamps beats with Date.now(): held still, moved forward by hand, never back (across tests too). */
let clockNow: number | undefined;
function holdClock(t: TestContext): { advance(ms: number): void } {
  clockNow ??= bucketStart(Date.now()) + BUCKET_MS / 2;
  t.mock.method(Date, 'now', () => clockNow);
  return { advance: (ms) => { clockNow! += ms; } };
}

/**
 * The trackers under test and what their counters must read: each instance counts the beats it
 * received. Every scrape also checks that no counter went down since the previous one.
 */
function counterHarness(instances: () => RunningTracker[]) {
  const expected = new Map<RunningTracker, Bytes>();
  const lastSeen = new Map<RunningTracker, Bytes>();
  let next = 0;

  const read = async (tracker: RunningTracker): Promise<Bytes> => {
    const text = await scrape(tracker);
    const now = Object.fromEntries(KINDS.map((kind) => [kind, sample(text, COUNTERS[kind])])) as Bytes;
    const previous = lastSeen.get(tracker) ?? NONE;
    for (const kind of KINDS) assert.ok(now[kind] >= previous[kind], `${COUNTERS[kind]} went down: ${previous[kind]} → ${now[kind]}`);
    lastSeen.set(tracker, now);
    return now;
  };

  /** Every instance's counters equal what its beats added, and never went down. */
  const check = async (): Promise<Bytes> => {
    const total = { ...NONE };
    for (const tracker of instances()) {
      const counted = await read(tracker);
      assert.deepEqual(counted, expected.get(tracker) ?? NONE, `counters of ${tracker.httpUrl}`);
      for (const kind of KINDS) total[kind] += counted[kind];
    }
    return total;
  };

  return {
    check,
    /** POSTs `beats` to the next instance in turn (204 expected) and expects them to add `added`. */
    async post(beats: Beat[], added: Bytes, address = '10.0.0.1'): Promise<void> {
      const all = instances();
      const tracker = all[next++ % all.length]!;
      const response = await fetch(`${tracker.httpUrl}/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-forwarded-for': address },
        body: JSON.stringify({ beats }),
      });
      assert.equal(response.status, 204, await response.text());
      const before = expected.get(tracker) ?? NONE;
      expected.set(tracker, bytes(before.http + added.http, before.p2p + added.p2p, before.up + added.up));
    },
    /** The counters' sum over instances equals the store's own totals of `stream`'s window. */
    async matchesStore(stream: string, since: Bytes): Promise<void> {
      const total = await check();
      const s = await summary(instances()[0]!, stream);
      assert.deepEqual(bytes(total.http - since.http, total.p2p - since.p2p, total.up - since.up), bytes(s.httpBytes, s.p2pBytes, s.uploadedBytes));
    },
  };
}

const STORES: Array<{ name: string; instances: number; redis: boolean }> = [
  { name: 'memory store', instances: 1, redis: false },
  { name: 'Redis store, beats spread over two instances', instances: 2, redis: true },
];

for (const store of STORES) {
  describe(`audience byte counters (${store.name})`, () => {
    let redis: RedisServer | undefined;
    const trackers: RunningTracker[] = [];
    const counters = counterHarness(() => trackers);
    before(async () => {
      if (store.redis) redis = await startRedis();
      const options: TrackerOptions = {
        trustProxy: 1,
        telemetryTopBitrate: TOP_BITRATE,
        telemetryMaxStreams: MAX_STREAMS,
        telemetryPostsPerMinute: 100_000,
        ...(redis ? { redisUrl: redis.url, redisKeyPrefix: 'counters-test:' } : {}),
      };
      for (let i = 0; i < store.instances; i++) trackers.push(await startTracker(options));
    });
    after(async () => {
      for (const tracker of trackers) await tracker.close();
      await redis?.stop();
    });

    test('exported as unlabelled counters at 0 before any beat', async () => {
      for (const tracker of trackers) {
        const text = await scrape(tracker);
        for (const name of Object.values(COUNTERS)) {
          assert.match(text, new RegExp(`^# TYPE ${name} counter$`, 'm'));
          assert.equal(sample(text, name), 0, name);
        }
      }
      await counters.check();
    });

    test('beats add the bytes the store accepted; a replayed or older beat adds nothing', async (t) => {
      const clock = holdClock(t);
      const stream = 'https://cdn.example/live/honest/master.m3u8';
      const since = await counters.check();
      const first = beat(stream, 'honestviewer', 1, { http: 1000, peers: 1, watchMs: 5000 });
      const second = beat(stream, 'honestviewer', 2, { http: 3000, p2p: 6000, up: 2000, peers: 2, watchMs: 6000 });
      // A session's first beat adds no bytes: no wall time vouches for them yet.
      await counters.post([first], NONE);
      await counters.check();
      clock.advance(1000);
      // 1 s later the bound is (1 s watched + 1 s buffer) at 20 B/ms = 40,000 B: the claims fit whole.
      assert.ok(2 * 1000 * BYTES_PER_MS >= 3000 + 6000);
      await counters.post([second], bytes(3000, 6000, 2000));
      await counters.check();
      await counters.post([second], NONE);
      await counters.post([first], NONE);
      // A restarted player (counters back near 0 under the same session id) adds nothing either.
      await counters.post([beat(stream, 'honestviewer', 3, { http: 10, peers: 1, watchMs: 6500 })], NONE);
      await counters.matchesStore(stream, since);
      const stale = (await Promise.all(trackers.map(scrape))).reduce((sum, text) => sum + sample(text, 'swarmcast_telemetry_beats_total', 'outcome="stale"')!, 0);
      assert.equal(stale, 2);
    });

    test('a forged claim adds only what the store accepted, the rest as wall time allows', async (t) => {
      const clock = holdClock(t);
      const stream = 'https://cdn.example/live/forged/master.m3u8';
      const since = await counters.check();
      // First beat: none of its bytes; its watch time is cut to one beat interval.
      await counters.post([forged(stream, 'liarsession', 1)], NONE, '10.0.0.2');
      clock.advance(1000);
      // Bound: (min(watched, 1 s) + min(buffer, 1 s)) × 20 B/ms; HTTP takes it first, peer bytes
      // get the rest (none); uploads: that bound per connected peer (3).
      assert.ok(FIRST_BEAT_WATCH_MS >= 3000, 'the first beat vouched for more watch time than the wall time below');
      const bound1 = (1000 + 1000) * BYTES_PER_MS;
      await counters.post([forged(stream, 'liarsession', 2)], bytes(bound1, 0, 3 * bound1), '10.0.0.2');
      await counters.check();
      clock.advance(2000);
      const bound3 = (3000 + 3000) * BYTES_PER_MS;
      await counters.post([forged(stream, 'liarsession', 3)], bytes(bound3 - bound1, 0, 3 * bound3 - 3 * bound1), '10.0.0.2');
      await counters.matchesStore(stream, since);
    });

    test('beats for many streams add no series and only their bounded bytes', async (t) => {
      const clock = holdClock(t);
      const evictions = async () => (await Promise.all(trackers.map(scrape))).reduce((sum, text) => sum + sample(text, 'swarmcast_telemetry_evictions_total', 'kind="stream"')!, 0);
      const evictedBefore = await evictions();
      const STREAMS = 8 * MAX_STREAMS;
      for (let i = 0; i < STREAMS; i++) {
        const stream = `https://evil.example/flood/${i}`;
        await counters.post([forged(stream, 'floodsession', 1)], NONE, '10.6.6.6');
        clock.advance(1000);
        const bound = (1000 + 1000) * BYTES_PER_MS;
        await counters.post([forged(stream, 'floodsession', 2)], bytes(bound, 0, 3 * bound), '10.6.6.6');
      }
      await counters.check();
      assert.ok((await evictions()) - evictedBefore >= STREAMS - MAX_STREAMS, 'the store evicted streams to stay within its cap');
      for (const tracker of trackers) {
        const lines = (await scrape(tracker)).split('\n');
        for (const name of Object.values(COUNTERS)) assert.deepEqual(lines.filter((l) => l.startsWith(name)).map((l) => l.split(' ')[0]), [name], `${name}: one series`);
        const streamsShown = lines.filter((l) => l.startsWith('swarmcast_audience_viewers{'));
        assert.ok(streamsShown.length <= MAX_STREAMS, `${streamsShown.length} streams in the viewers gauge`);
      }
    });
  });
}
