/**
 * Audience telemetry: beats POSTed over HTTP, figures read back from the dashboard API and
 * `/metrics`, compared with figures computed by hand; on memory, and on Redis with the beats
 * spread over two tracker instances. Then malformed and flooding POSTs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Beat } from '@swarmcast/protocol/beat-schema';
import { BUCKET_MS, bucketStart, RETENTION_MS, spreadOverBuckets, type StreamSummary } from '../src/telemetry/aggregate.ts';
import { startRedis, type RedisServer } from '@swarmcast/testkit';
import { startTracker, type RunningTracker } from './support/tracker-fixture.ts';
import type { TrackerOptions } from '../src/app.ts';

const STREAM = 'https://cdn.example/live/exact/master.m3u8';
const PRICE = 2;

function beat(sid: string, seq: number, fields: Partial<Beat>): Beat {
  return {
    v: 1, sid, seq, stream: STREAM, http: 0, p2p: 0, up: 0, peers: 0, stalls: 0, stallMs: 0, watchMs: 0,
    startupMs: null, latencyMs: null, errors: 0, rendition: null, ...fields,
  };
}

async function post(tracker: RunningTracker, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${tracker.httpUrl}/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function summary(tracker: RunningTracker, stream = STREAM): Promise<StreamSummary> {
  const response = await fetch(`${tracker.httpUrl}/dashboard/api/streams/${encodeURIComponent(stream)}`);
  assert.equal(response.status, 200);
  return (await response.json()) as StreamSummary;
}

const A = 'sessionAAAA';
const B = 'sessionBBBB';
const C = 'sessionCCCC';
/** Three sessions: A beats twice and repeats its second beat; B's second beat is lost; C ends. */
const beats = {
  a1: beat(A, 1, { http: 1000, peers: 1, watchMs: 5000, startupMs: 800, latencyMs: 6000, rendition: '360p' }),
  a2: beat(A, 2, { http: 1500, p2p: 3000, up: 500, peers: 2, stalls: 1, stallMs: 200, watchMs: 15000, startupMs: 800, latencyMs: 7000, errors: 1, rendition: '360p' }),
  b1: beat(B, 1, { http: 2000, peers: 1, watchMs: 4000, startupMs: 1200, latencyMs: 8000, rendition: '240p' }),
  b3: beat(B, 3, { http: 2500, p2p: 6000, up: 4000, peers: 3, stalls: 2, stallMs: 600, watchMs: 24000, startupMs: 1200, latencyMs: 9000, rendition: '240p' }),
  c1: beat(C, 1, { http: 500, watchMs: 1000, startupMs: 3000 }),
  c2: beat(C, 2, { http: 700, watchMs: 2000, startupMs: 3000, end: true }),
};

/**
 * The collector stamps each beat with Date.now(): the clock is held 5 s into `bucket` while the
 * beats arrive, then moved to the next bucket to read, so each beat's watch time lands in known,
 * complete buckets of the series. `tick` moves it 1 ms between sessions' first and later beats: a
 * session's bytes are counted once wall time since its first beat allows them (12.5 kB a ms at
 * the default top bitrate, plenty for these), and the series' two decimals round the 1 ms away.
 */
function holdClock(t: TestContext): { bucket: number; tick(): void; nextBucket(): void } {
  const bucket = bucketStart(Date.now());
  let now = bucket + 5000;
  t.mock.method(Date, 'now', () => now);
  return { bucket, tick: () => { now += 1; }, nextBucket: () => { now = bucket + BUCKET_MS; } };
}

/** The same figures by hand: cumulative counters, so the last beat of each session is its total. */
function assertExactFigures(s: StreamSummary, bucket: number): void {
  assert.equal(s.viewers, 2, 'A and B beat recently; C ended');
  assert.equal(s.httpBytes, 1500 + 2500 + 700);
  assert.equal(s.p2pBytes, 3000 + 6000);
  assert.equal(s.uploadedBytes, 500 + 4000);
  assert.equal(s.offloadRatio, 9000 / 13700);
  assert.equal(s.egressSavedGb, 9000 / 1e9);
  assert.equal(s.egressSavedMoney, (9000 / 1e9) * PRICE);
  assert.equal(s.watchMs, 15000 + 24000 + 2000);
  assert.equal(s.stallMs, 800);
  assert.equal(s.stalls, 3);
  assert.equal(s.errors, 1);
  assert.equal(s.rebufferRatio, 800 / 41000);
  assert.equal(s.rebufferLevel, 'warning');
  // Nearest rank over [800, 1200, 3000] and over the active sessions' latest latencies [7000, 9000].
  assert.deepEqual(s.startupMs, { count: 3, p50: 1200, p95: 3000 });
  assert.deepEqual(s.latencyMs, { count: 2, p50: 7000, p95: 9000 });
  // Beats applied: a1 a2 b1 b3 c1 c2 (the repeated a2 adds nothing), peers 1+2+1+3+0+0.
  assert.equal(s.peersPerViewer, Math.round((7 / 6) * 100) / 100);
  assert.deepEqual(s.renditions, [
    { rendition: '240p', share: Math.round((24 / 41) * 1e4) / 1e4, viewers: Math.round((24 / 41) * 2 * 10) / 10 },
    { rendition: '360p', share: Math.round((15 / 41) * 1e4) / 1e4, viewers: Math.round((15 / 41) * 2 * 10) / 10 },
    { rendition: 'unknown', share: Math.round((2 / 41) * 1e4) / 1e4, viewers: Math.round((2 / 41) * 2 * 10) / 10 },
  ]);
  // Every bucket of the window but the one still filling. Each beat's watch time is spread back
  // from its arrival, 5 s into `bucket`: a2's 10 s and b3's 20 s reach into the buckets before.
  assert.equal(s.series.length, RETENTION_MS / BUCKET_MS - 1);
  assert.equal(s.series.at(-1)!.t, bucket);
  const watched = s.series.filter((point) => point.viewers > 0).map((point) => [point.t, point.viewers]);
  assert.deepEqual(watched, [
    [bucket - 2 * BUCKET_MS, 5000 / BUCKET_MS],
    [bucket - BUCKET_MS, (5000 + 10000) / BUCKET_MS],
    [bucket, (5000 + 4000 + 1000 + 5000 + 5000 + 1000) / BUCKET_MS],
  ]);
}

function metricValue(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function assertMetrics(tracker: RunningTracker): Promise<void> {
  const text = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
  const stream = `stream="${STREAM}"`;
  assert.equal(metricValue(text, 'swarmcast_audience_viewers', stream), 2);
  assert.equal(metricValue(text, 'swarmcast_audience_offload_ratio', stream), 9000 / 13700);
  assert.equal(metricValue(text, 'swarmcast_audience_rebuffer_ratio', stream), 800 / 41000);
  assert.equal(metricValue(text, 'swarmcast_audience_egress_saved_bytes', stream), 9000);
  assert.equal(metricValue(text, 'swarmcast_audience_startup_seconds', `${stream},quantile="0.95"`), 3);
  assert.equal(metricValue(text, 'swarmcast_audience_live_latency_seconds', `${stream},quantile="0.5"`), 7);
}

test('watch time is spread over the buckets it covers and sums exactly', () => {
  assert.deepEqual(spreadOverBuckets(25_300, 10_000), [[10_000, 4_700], [20_000, 5_300]]);
  assert.deepEqual(spreadOverBuckets(30_000, 25_000), [[0, 5_000], [10_000, 10_000], [20_000, 10_000]]);
  assert.deepEqual(spreadOverBuckets(30_000, 0), []);
  const pieces = spreadOverBuckets(1_700_000_123_457, 123_456);
  assert.equal(pieces.reduce((sum, [, ms]) => sum + ms, 0), 123_456);
});

describe('telemetry aggregation (memory store)', () => {
  let tracker: RunningTracker;
  before(async () => {
    tracker = await startTracker({ egressPricePerGb: PRICE });
  });
  after(() => tracker.close());

  test('a known set of beats gives the hand-computed figures, on the API and /metrics', async (t) => {
    const clock = holdClock(t);
    for (const body of [[beats.a1, beats.b1], [beats.c1]]) assert.equal((await post(tracker, { beats: body })).status, 204);
    clock.tick();
    for (const body of [[beats.a2], [beats.a2], [beats.b3, beats.c2]]) assert.equal((await post(tracker, { beats: body })).status, 204);
    clock.nextBucket();
    assertExactFigures(await summary(tracker), clock.bucket);
    await assertMetrics(tracker);
    const list = (await (await fetch(`${tracker.httpUrl}/dashboard/api/streams`)).json()) as { streams: Array<Omit<StreamSummary, 'series'>> };
    assert.deepEqual(list.streams.map((s) => [s.stream, s.viewers, 'series' in s]), [[STREAM, 2, false]]);
    const text = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    assert.equal(metricValue(text, 'swarmcast_telemetry_beats_total', 'outcome="accepted"'), 6);
    assert.equal(metricValue(text, 'swarmcast_telemetry_beats_total', 'outcome="stale"'), 1);
  });
});

describe('telemetry aggregation (Redis store, two instances)', () => {
  let redis: RedisServer;
  let one: RunningTracker;
  let two: RunningTracker;
  before(async () => {
    redis = await startRedis();
    const options: TrackerOptions = { redisUrl: redis.url, redisKeyPrefix: 'tm-test:', egressPricePerGb: PRICE };
    one = await startTracker(options);
    two = await startTracker(options);
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await redis?.stop();
  });

  test('beats spread over two instances aggregate into one view with the hand-computed figures', async (t) => {
    const clock = holdClock(t);
    const firstBeats: Array<[RunningTracker, Beat[]]> = [[one, [beats.a1]], [two, [beats.b1, beats.c1]]];
    const laterBeats: Array<[RunningTracker, Beat[]]> = [[two, [beats.a2]], [one, [beats.a2]], [one, [beats.b3]], [two, [beats.c2]]];
    for (const [tracker, body] of firstBeats) assert.equal((await post(tracker, { beats: body })).status, 204);
    clock.tick();
    for (const [tracker, body] of laterBeats) assert.equal((await post(tracker, { beats: body })).status, 204);
    clock.nextBucket();
    const [fromOne, fromTwo] = [await summary(one), await summary(two)];
    assertExactFigures(fromOne, clock.bucket);
    assert.deepEqual(fromTwo, fromOne);
    await assertMetrics(one);
    await assertMetrics(two);
  });
});

describe('telemetry collector refuses bad and flooding POSTs', () => {
  let tracker: RunningTracker;
  const POSTS_PER_MINUTE = 5;
  before(async () => {
    tracker = await startTracker({ telemetryPostsPerMinute: POSTS_PER_MINUTE, telemetryMaxBodyBytes: 2048, trustProxy: 1 });
  });
  after(() => tracker.close());

  test('400, 413 and 429 are counted and change no figure of another stream', async (t) => {
    let now = Date.now();
    t.mock.method(Date, 'now', () => now);
    const other = { ...beats.b1, stream: 'other' };
    const good = { 'x-forwarded-for': '10.0.0.2' };
    const bad = { 'x-forwarded-for': '10.0.0.1' };
    assert.equal((await post(tracker, { beats: [other] }, good)).status, 204);
    const before = await summary(tracker, 'other');

    const preflight = await fetch(`${tracker.httpUrl}/telemetry`, { method: 'OPTIONS', headers: { origin: 'https://site.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');

    const invalidJson = await post(tracker, '{"beats": [', bad);
    assert.equal(invalidJson.status, 400);
    assert.equal(invalidJson.headers.get('access-control-allow-origin'), '*');
    assert.equal((await post(tracker, { beats: [{ ...beats.a1, stream: 'other', http: -5 }] }, bad)).status, 400);
    assert.equal((await post(tracker, { beats: [{ ...beats.a1, stream: 'other', userId: 'someone' }] }, bad)).status, 400);
    assert.equal((await post(tracker, { beats: [{ ...beats.a1, stream: 'x'.repeat(3000) }] }, bad)).status, 413);
    const flood = [];
    for (let i = 0; i < 10; i++) flood.push((await post(tracker, { beats: [beat(`flooder${i}xx`, 1, { stream: 'other', http: 1e9 })] }, bad)).status);
    assert.deepEqual(flood, [204, ...Array(9).fill(429)], 'one token left after four refused POSTs, then 429');

    const text = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
    const rejected = (reason: string) => metricValue(text, 'swarmcast_telemetry_rejections_total', `reason="${reason}"`);
    assert.equal(rejected('invalid_json'), 1);
    assert.equal(rejected('invalid_beat'), 2);
    assert.equal(rejected('too_large'), 1);
    assert.equal(rejected('rate_limited'), 9);

    // The one flood beat that got in is a session of its own (a first beat: no bytes yet); nothing else changed.
    const afterFlood = await summary(tracker, 'other');
    assert.equal(afterFlood.httpBytes, before.httpBytes);
    assert.equal(afterFlood.viewers, before.viewers + 1);
    assert.deepEqual(afterFlood.startupMs, before.startupMs);
    // A second later wall time vouches for the honest session's bytes, its first beat's included.
    now += 1000;
    assert.equal((await post(tracker, { beats: [{ ...other, seq: 2, http: 2100 }] }, good)).status, 204, 'other addresses are not limited');
    assert.equal((await summary(tracker, 'other')).httpBytes, before.httpBytes + 2100);
  });
});

test('the dashboard page is served and its script parses', async () => {
  const tracker = await startTracker();
  try {
    const response = await fetch(`${tracker.httpUrl}/dashboard`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const html = await response.text();
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1];
    assert.ok(script);
    assert.doesNotThrow(() => new Function(script), 'a syntax error here would leave the page blank');
    assert.equal((await fetch(`${tracker.httpUrl}/dashboard/api/streams/nothing-here`)).status, 404);
  } finally {
    await tracker.close();
  }
});
