/**
 * Attacks on the telemetry collector of a running tracker, over HTTP (issue 14, items 1 and 7):
 * a flood of new streams and sessions from several addresses (the store stays bounded, evictions
 * are counted, the real stream is still listed first), forged huge counters on the Redis store
 * (clamped: later honest beats are accepted and the figures are exact), a beat that would overflow
 * a sum (refused whole, on both stores), the TELEMETRY_STREAMS allow-list, and a flood of rendition
 * names (capped per bucket, on both stores).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { Beat } from '@swarmcast/protocol/beat-schema';
import type { TrackerOptions } from '../src/app.ts';
import { defaultConfig } from '../src/config.ts';
import type { StreamDetail } from '../src/dashboard/stream-detail.ts';
import {
  ACTIVE_MS,
  BITRATE_MARGIN,
  BUCKET_MS,
  BUFFER_AHEAD_MS,
  FIRST_BEAT_WATCH_MS,
  MAX_LATENCY_MS,
  MAX_RENDITIONS_PER_BUCKET,
  MAX_STARTUP_MS,
  OVERFLOW_RENDITION,
  type StreamSummary,
} from '../src/telemetry/aggregate.ts';
import { sleep, startRedis, startTrackerProcess, type RedisServer, type TrackerProcess } from '@swarmcast/testkit';
import { closedAfterTests } from './support/tracker-fixture.ts';

const REAL = 'https://cdn.example/live/real/master.m3u8';
const HUGE = Number.MAX_SAFE_INTEGER;
/** Heap growth tolerated after a flood, after a full GC: the unbounded store grew ~19 MB for 8,800 streams. */
const HEAP_TOLERANCE_BYTES = 6 * 1024 * 1024;

const { start } = closedAfterTests();

function beat(stream: string, sid: string, seq: number, fields: Partial<Beat> = {}): Beat {
  return {
    v: 1, sid, seq, stream, http: 0, p2p: 0, up: 0, peers: 0, stalls: 0, stallMs: 0, watchMs: 0,
    startupMs: null, latencyMs: null, errors: 0, rendition: null, ...fields,
  };
}

const forged = (stream: string, sid: string, seq = 1): Beat =>
  beat(stream, sid, seq, { http: HUGE, p2p: HUGE, up: HUGE, peers: 1000, stalls: HUGE, stallMs: HUGE, watchMs: HUGE, errors: HUGE });

async function post(httpUrl: string, beats: Beat[], address = '10.9.9.9'): Promise<number> {
  const response = await fetch(`${httpUrl}/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'x-forwarded-for': address },
    body: JSON.stringify({ beats }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function listed(httpUrl: string): Promise<string[]> {
  const list = (await (await fetch(`${httpUrl}/dashboard/api/streams`)).json()) as { streams: Array<{ stream: string }> };
  return list.streams.map((s) => s.stream);
}

async function summary(httpUrl: string, stream: string): Promise<StreamSummary> {
  const response = await fetch(`${httpUrl}/dashboard/api/streams/${encodeURIComponent(stream)}`);
  assert.equal(response.status, 200);
  return (await response.json()) as StreamSummary;
}

async function metric(httpUrl: string, name: string, labels = ''): Promise<number | undefined> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Three viewers of the real stream, beating every 2 s (players beat every 15 s; faster keeps the
 * test short) with 2 s more watch time each: watch time the clock vouches for. Resolves once two
 * beats are in; the returned function stops them.
 */
async function startRealViewers(httpUrl: string): Promise<() => Promise<void>> {
  const sids = ['realviewer1', 'realviewer2', 'realviewer3'];
  let seq = 0;
  let stopped = false;
  const beatAll = async () => {
    seq++;
    const beats = sids.map((sid) => beat(REAL, sid, seq, { http: 100_000 * seq, watchMs: 2000 * seq, startupMs: 900, rendition: '720p' }));
    assert.equal(await post(httpUrl, beats, '10.0.0.1'), 204);
  };
  await beatAll();
  await sleep(2100);
  await beatAll();
  const beating = (async () => {
    while (!stopped) {
      await sleep(2000);
      if (!stopped) await beatAll();
    }
  })();
  return async () => {
    stopped = true;
    await beating;
  };
}

/**
 * `posts` POSTs from `address`, 10 new streams in each; every stream gets two beats of one session
 * claiming five minutes of watch time and huge counters, so they arrive together and the clock
 * vouches for none of it.
 */
async function floodStreams(httpUrl: string, address: string, posts: number, round = 'flood'): Promise<number[]> {
  const statuses: number[] = [];
  for (let p = 0; p < posts; p++) {
    const beats = Array.from({ length: 10 }, (_, i) => {
      const stream = `https://evil.example/${round}/${address}/${p}/${i}`;
      return [forged(stream, 'forgedsession', 1), forged(stream, 'forgedsession', 2)];
    }).flat();
    statuses.push(await post(httpUrl, beats, address));
  }
  return statuses;
}

describe('a flood of new streams and sessions (memory store, tracker process)', () => {
  const MAX_STREAMS = 200;
  const MAX_SESSIONS = 50;
  const ADDRESSES = ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4'];
  const POSTS_PER_ADDRESS = 200;
  let tracker: TrackerProcess;
  before(async () => {
    tracker = await startTrackerProcess({
      TRUST_PROXY: '1',
      TELEMETRY_POSTS_PER_MINUTE: '1000000',
      TELEMETRY_MAX_STREAMS: String(MAX_STREAMS),
      TELEMETRY_MAX_SESSIONS_PER_STREAM: String(MAX_SESSIONS),
      // The flood of sessions below is about the per-stream bound, from a few addresses.
      TELEMETRY_MAX_SESSIONS_PER_ADDRESS: '1000000',
    }, { heapProbe: true });
  });
  after(() => tracker?.stop());

  test('memory stays bounded, evictions are counted, the real stream is still listed first', { timeout: 180_000 }, async (t) => {
    // What the tracker retains: a reading between V8's own collections would count garbage too.
    const heap = async () => (await tracker.collectGarbage()).memory.heapUsed;
    const stopViewers = await startRealViewers(tracker.httpUrl);
    t.after(stopViewers);
    const flood = async (posts: number, round: string) => {
      const statuses = (await Promise.all(ADDRESSES.map((address) => floodStreams(tracker.httpUrl, address, posts, round)))).flat();
      assert.deepEqual(new Set(statuses), new Set([204]));
    };
    // The store is full, and the code paths warm, before the baseline: what follows may not grow it.
    await flood(POSTS_PER_ADDRESS / 4, 'warm-up');
    await listed(tracker.httpUrl);
    const heapBefore = await heap();

    await flood(POSTS_PER_ADDRESS, 'flood');
    const floodStreamCount = ADDRESSES.length * POSTS_PER_ADDRESS * 10 * 1.25;
    assert.equal(await metric(tracker.httpUrl, 'swarmcast_telemetry_evictions_total', 'kind="stream"'), floodStreamCount + 1 - MAX_STREAMS);

    const names = await listed(tracker.httpUrl);
    assert.equal(names.length, 100);
    assert.equal(names[0], REAL, 'verified watch time ranks the real stream above every forged one');
    assert.equal((await summary(tracker.httpUrl, REAL)).viewers, 3);

    // New sessions flooding one stream: the quietest are evicted, the stream holds MAX_SESSIONS.
    const target = 'https://evil.example/sessions';
    for (let p = 0; p < 50; p++) {
      const beats = Array.from({ length: 20 }, (_, i) => beat(target, `flood-${p}-${i}-session`, 1, { watchMs: 1000 }));
      assert.equal(await post(tracker.httpUrl, beats, ADDRESSES[p % ADDRESSES.length]), 204);
    }
    assert.equal(await metric(tracker.httpUrl, 'swarmcast_telemetry_evictions_total', 'kind="session"'), 1000 - MAX_SESSIONS);
    assert.equal((await summary(tracker.httpUrl, target)).viewers, MAX_SESSIONS);
    assert.equal((await listed(tracker.httpUrl))[0], REAL);

    const heapAfter = await heap();
    const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
    t.diagnostic(`${ADDRESSES.length * POSTS_PER_ADDRESS * 10} forged streams after the warm-up: heap ${mb(heapBefore)} → ${mb(heapAfter)}`);
    assert.ok(heapAfter <= heapBefore + HEAP_TOLERANCE_BYTES, `heap bounded: ${mb(heapBefore)} → ${mb(heapAfter)}`);
  });
});

describe('forged counters on the Redis store', () => {
  const STREAM = 'https://cdn.example/live/attacked/master.m3u8';
  const TOP_BITRATE = 8_000_000;
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.stop());

  test('huge counters are clamped per session: later honest beats get 2xx and the figures are exact', async (t) => {
    const options: TrackerOptions = {
      redisUrl: redis.url, redisKeyPrefix: 'forged:', telemetryPostsPerMinute: 1_000_000, telemetryTopBitrate: TOP_BITRATE, telemetryMaxSessionsPerAddress: 1_000_000,
    };
    const tracker = await start(options);
    let now = Date.now();
    t.mock.method(Date, 'now', () => now);
    // Unclamped, 1,024 beats of 2^53 overflow a bucket's 64-bit sum: every later beat failed with 503.
    // Each forged session beats twice, five minutes apart, so wall time vouches for some of its bytes.
    const FORGED = 1100;
    const forgedPosts = async (seq: number) => {
      for (let p = 0; p < FORGED / 20; p++) {
        const beats = Array.from({ length: 20 }, (_, i) => forged(STREAM, `forged-${p}-${i}-session`, seq));
        assert.equal(await post(tracker.httpUrl, beats), 204);
      }
    };
    await forgedPosts(1);
    now += 300_000;
    await forgedPosts(2);
    const honest = [
      beat(STREAM, 'honestviewer1', 1, { http: 2_000_000, p2p: 1_000_000, up: 400_000, peers: 2, watchMs: 15_000, stalls: 1, stallMs: 300, errors: 1 }),
      beat(STREAM, 'honestviewer2', 1, { http: 3_000_000, watchMs: 14_000 }),
    ];
    assert.equal(await post(tracker.httpUrl, honest, '10.2.0.1'), 204);
    now += 15_000;
    assert.equal(await post(tracker.httpUrl, [{ ...honest[0]!, seq: 2, http: 2_500_000, watchMs: 30_000 }, { ...honest[1]!, seq: 2 }], '10.2.0.1'), 204);

    // A forged session's first beat counts the watch time one beat interval allows and no bytes;
    // its second, five minutes on, the bytes of that watch time plus 180 s of buffer at twice the
    // top bitrate (its own watch counter did not grow, so no more watch time).
    const allowance = ((FIRST_BEAT_WATCH_MS + BUFFER_AHEAD_MS) * TOP_BITRATE * BITRATE_MARGIN) / 8000;
    const s = await summary(tracker.httpUrl, STREAM);
    assert.equal(s.httpBytes, FORGED * allowance + 2_500_000 + 3_000_000);
    assert.equal(s.p2pBytes, 1_000_000, 'over the allowance, peer bytes are cut first: forged beats add no offload');
    assert.equal(s.uploadedBytes, FORGED * allowance * 1000 + 400_000);
    assert.equal(s.watchMs, FORGED * FIRST_BEAT_WATCH_MS + 30_000 + 14_000);
    assert.equal(s.stallMs, FORGED * FIRST_BEAT_WATCH_MS + 300);
    assert.equal(s.stalls, FORGED * 1000 + 1);
    assert.equal(s.errors, FORGED * 1000 + 1);
    assert.equal(s.viewers, FORGED + 2);
  });
});

for (const storeKind of ['memory', 'redis'] as const) {
  describe(`a beat that would overflow a sum is refused whole (${storeKind} store)`, () => {
    let redis: RedisServer | undefined;
    after(() => redis?.stop());

    test('422, nothing of it counted, honest beats still accepted', async (t) => {
      if (storeKind === 'redis') redis = await startRedis();
      // The highest top bitrate allowed lets one session's upload reach 2^53 − 1, the largest exact sum, once five minutes have passed.
      const tracker = await start({ ...(redis ? { redisUrl: redis.url } : {}), telemetryTopBitrate: 100e9, telemetryPostsPerMinute: 1000 });
      let now = Date.now();
      t.mock.method(Date, 'now', () => now);
      const stream = 'overflow-target';
      const sessions = ['forgedsessionX', 'forgedsessionY', 'honestviewer'];
      assert.equal(await post(tracker.httpUrl, sessions.map((sid) => beat(stream, sid, 1))), 204);
      now += 300_000;
      // One POST, one `now`: both land in the same bucket, whose `up` sum the second would push past 2^53 − 1.
      assert.equal(await post(tracker.httpUrl, [forged(stream, 'forgedsessionX', 2), forged(stream, 'forgedsessionY', 2)]), 422);
      const afterAttack = await summary(tracker.httpUrl, stream);
      assert.equal(afterAttack.uploadedBytes, HUGE);
      assert.equal(afterAttack.watchMs, 300_000, 'the refused beat added no watch time');
      assert.equal(afterAttack.stalls, 1000, 'and nothing to any other sum either');

      const honest = beat(stream, 'honestviewer', 2, { http: 1_000_000, p2p: 250_000, watchMs: 15_000 });
      assert.equal(await post(tracker.httpUrl, [honest], '10.3.0.1'), 204);
      const s = await summary(tracker.httpUrl, stream);
      assert.equal(s.httpBytes, afterAttack.httpBytes + 1_000_000);
      assert.equal(s.p2pBytes, afterAttack.p2pBytes + 250_000);
      assert.equal(s.viewers, 2, "X and the honest viewer; Y's last counted beat is five minutes old");
      assert.equal(await metric(tracker.httpUrl, 'swarmcast_telemetry_rejections_total', 'reason="counter_overflow"'), 1);
      assert.equal(await metric(tracker.httpUrl, 'swarmcast_telemetry_beats_total', 'outcome="overflow"'), 1);
    });
  });
}

describe('a flood of new streams on the Redis store', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.stop());

  test('the streams held and their keys stay bounded, evictions are counted, the real stream is listed first', { timeout: 120_000 }, async (t) => {
    const MAX_STREAMS = 20;
    const tracker = await start({ redisUrl: redis.url, trustProxy: 1, telemetryPostsPerMinute: 1_000_000, telemetryMaxStreams: MAX_STREAMS });
    t.after(await startRealViewers(tracker.httpUrl));
    const statuses = (await Promise.all(['10.4.0.1', '10.4.0.2', '10.4.0.3'].map((address) => floodStreams(tracker.httpUrl, address, 10)))).flat();
    assert.deepEqual(new Set(statuses), new Set([204]));
    assert.equal(await metric(tracker.httpUrl, 'swarmcast_telemetry_evictions_total', 'kind="stream"'), 300 + 1 - MAX_STREAMS);
    const names = await listed(tracker.httpUrl);
    assert.equal(names.length, MAX_STREAMS);
    assert.equal(names[0], REAL);
    assert.equal((await summary(tracker.httpUrl, REAL)).viewers, 3);
    // A forged stream holds ~10 keys (its first beat's 30 s of counted watch over 4 buckets, a
    // session, its address's places, its sorted sets), the real one more (three sessions, a bucket
    // every 10 s while it beats); an evicted stream's are deleted. A store that kept all 301
    // streams would hold ~3,000 keys.
    const keys = Number(spawnSync('redis-cli', ['-p', String(redis.port), 'dbsize'], { encoding: 'utf8' }).stdout.trim());
    assert.ok(keys <= MAX_STREAMS * 60, `${keys} keys for ${MAX_STREAMS} streams`);
  });
});

describe('TELEMETRY_STREAMS', () => {
  test('beats for streams outside the allow-list are refused with 403 and change nothing', async () => {
    const tracker = await start({ telemetryStreams: ['https://cdn.example/live/*', 'event-42'] });
    assert.equal(await post(tracker.httpUrl, [beat('https://evil.example/x', 'anysession1', 1)]), 403);
    assert.equal(await post(tracker.httpUrl, [beat('event-42', 'anysession1', 1), beat('event-43', 'anysession2', 1)]), 403);
    const stored = async (stream: string) => (await fetch(`${tracker.httpUrl}/dashboard/api/streams/${encodeURIComponent(stream)}`)).status;
    assert.equal(await stored('event-42'), 404, 'a refused POST stores none of its beats');
    assert.equal(await post(tracker.httpUrl, [beat('event-42', 'anysession1', 1), beat(REAL, 'anysession2', 1)]), 204);
    assert.equal(await stored('event-42'), 200);
    assert.equal(await stored(REAL), 200);
    assert.equal(await metric(tracker.httpUrl, 'swarmcast_telemetry_rejections_total', 'reason="stream_not_allowed"'), 2);
  });
});

/**
 * Issue 21, item 4: one POST of 20 beats, each a new session claiming 300 s watched, `http: 0`
 * and 3 GB from peers (what 300 s plus 180 s of buffer allowed at twice the default top bitrate)
 * and a day of startup, moved a stream of 5 viewers from 50.0 % to 99.96 % offload, 5 to 25
 * viewers and startup p50 to 86,400,000 ms. The clock is injected: the honest viewers beat every
 * 15 s for two minutes before the attack, the attacker's sessions beat again 15 s after it.
 */
for (const storeKind of ['memory', 'redis'] as const) {
  describe(`forged offload: new sessions claiming watch time and peer bytes (${storeKind} store)`, () => {
    const STREAM = 'https://cdn.example/live/offload/master.m3u8';
    const BEAT_MS = 15_000;
    const HONEST = ['10.5.0.1', '10.5.0.2', '10.5.0.3', '10.5.0.4', '10.5.0.5'];
    /** 640 kbit/s, half of it from peers. */
    const HONEST_BYTES_PER_BEAT = 1_200_000;
    const ATTACKER = '10.66.6.6';
    const DAY_MS = 24 * 3600_000;
    const SESSIONS_PER_ADDRESS = defaultConfig.telemetryMaxSessionsPerAddress;
    /** Bytes per ms of watch or buffer one session may claim: twice the default top bitrate. */
    const BYTES_PER_MS = (BITRATE_MARGIN * defaultConfig.telemetryTopBitrate) / 8000;
    let redis: RedisServer | undefined;
    after(() => redis?.stop());

    test('the forged POST adds no bytes and at most 10 viewers; kept alive, each session adds what its wall time allows', async (t) => {
      if (storeKind === 'redis') redis = await startRedis();
      const tracker = await start({ ...(redis ? { redisUrl: redis.url, redisKeyPrefix: 'offload:' } : {}), trustProxy: 1, telemetryPostsPerMinute: 1_000_000 });
      let now = Math.floor(Date.now() / BEAT_MS) * BEAT_MS;
      t.mock.method(Date, 'now', () => now);

      for (let k = 1; k <= 8; k++) {
        for (const [i, address] of HONEST.entries()) {
          const bytes = (k * HONEST_BYTES_PER_BEAT) / 2;
          const honest = beat(STREAM, `honestviewer${i}`, k, { http: bytes, p2p: bytes, peers: 2, watchMs: k * BEAT_MS, startupMs: 1000 + 100 * i, latencyMs: 12_000, rendition: '360p' });
          assert.equal(await post(tracker.httpUrl, [honest], address), 204);
        }
        if (k < 8) now += BEAT_MS;
      }
      const before = await summary(tracker.httpUrl, STREAM);
      const honestBytes = HONEST.length * 8 * HONEST_BYTES_PER_BEAT;
      assert.equal(before.offloadRatio, 0.5);
      assert.equal(before.httpBytes + before.p2pBytes, honestBytes);
      assert.equal(before.viewers, 5);
      assert.equal(before.startupMs.p50, 1200);

      now += 1000;
      const forgedBeat = (i: number, seq: number) =>
        beat(STREAM, `forged-${i}-session`, seq, { p2p: seq * 3e9, peers: 1000, watchMs: 300_000 * seq, startupMs: DAY_MS, latencyMs: DAY_MS, rendition: '360p' });
      const status = await post(tracker.httpUrl, Array.from({ length: 20 }, (_, i) => forgedBeat(i, 1)), ATTACKER);
      const attacked = await summary(tracker.httpUrl, STREAM);
      t.diagnostic(`after the forged POST (${status}): offload ${(attacked.offloadRatio! * 100).toFixed(2)} %, viewers ${attacked.viewers}, startup p50 ${attacked.startupMs.p50} ms, latency p95 ${attacked.latencyMs.p95} ms`);
      assert.equal(attacked.offloadRatio, 0.5, 'a first beat carries no bytes: no wall time vouches for them yet');
      assert.equal(attacked.p2pBytes + attacked.httpBytes, honestBytes);
      assert.equal(attacked.viewers, 5 + SESSIONS_PER_ADDRESS, 'an address holds at most TELEMETRY_MAX_SESSIONS_PER_ADDRESS sessions of a stream');
      assert.equal(status, 429, 'the beats over the bound are refused, and the POST says so');
      assert.equal(attacked.startupMs.count, 5 + SESSIONS_PER_ADDRESS);
      assert.equal(attacked.startupMs.p95, MAX_STARTUP_MS, 'a day of startup counts as a minute');
      assert.equal(attacked.latencyMs.p95, MAX_LATENCY_MS);
      // Watch time: each session's first beat at most the SDK's longest beat interval.
      assert.equal(attacked.watchMs, before.watchMs + SESSIONS_PER_ADDRESS * FIRST_BEAT_WATCH_MS);

      // Kept alive for 15 s, a forged session adds at most twice the top bitrate for that wall
      // time plus as much buffer: what the README says a liar can still do.
      now += BEAT_MS;
      await post(tracker.httpUrl, Array.from({ length: 20 }, (_, i) => forgedBeat(i, 2)), ATTACKER);
      const kept = await summary(tracker.httpUrl, STREAM);
      const perSession = (BEAT_MS + BEAT_MS) * BYTES_PER_MS;
      assert.equal(kept.p2pBytes, before.p2pBytes + SESSIONS_PER_ADDRESS * perSession);
      assert.equal(kept.httpBytes, before.httpBytes);
      assert.equal(kept.viewers, 5 + SESSIONS_PER_ADDRESS);
      t.diagnostic(`kept alive 15 s: offload ${(kept.offloadRatio! * 100).toFixed(2)} %`);

      // Ending sessions frees no place until ACTIVE_MS after their last beat, and a session back
      // after that needs a free place again: ending and resuming sessions gains an address nothing.
      const held = Array.from({ length: SESSIONS_PER_ADDRESS }, (_, i) => ({ ...forgedBeat(i, 3), end: true }));
      assert.equal(await post(tracker.httpUrl, held, ATTACKER), 204);
      assert.equal(await post(tracker.httpUrl, [beat(STREAM, 'forged-new-session', 1)], ATTACKER), 429);
      now += ACTIVE_MS;
      const fresh = Array.from({ length: SESSIONS_PER_ADDRESS }, (_, i) => beat(STREAM, `forged-fresh-${i}`, 1));
      assert.equal(await post(tracker.httpUrl, fresh, ATTACKER), 204);
      assert.equal(await post(tracker.httpUrl, [forgedBeat(0, 4)], ATTACKER), 429);
    });
  });
}

/**
 * Rendition names come from anyone's beats, and each one was a field of the bucket it landed in:
 * sessions naming a new rendition each grew a stream's buckets and its JSON without bound. The
 * clock is injected, so each step's watch time lands in one bucket.
 */
for (const storeKind of ['memory', 'redis'] as const) {
  describe(`rendition names a bucket holds are capped (${storeKind} store)`, () => {
    const STREAM = 'https://cdn.example/live/renditions/master.m3u8';
    const HONEST_STREAM = 'https://cdn.example/live/ladder/master.m3u8';
    const WATCH_MS = 1000;
    let redis: RedisServer | undefined;
    after(() => redis?.stop());

    test(`at most ${MAX_RENDITIONS_PER_BUCKET} names and ${OVERFLOW_RENDITION}, which carries the rest's watch time`, async (t) => {
      if (storeKind === 'redis') redis = await startRedis();
      const tracker = await start({
        ...(redis ? { redisUrl: redis.url, redisKeyPrefix: 'renditions:' } : {}),
        telemetryPostsPerMinute: 1_000_000,
        telemetryMaxSessionsPerAddress: 1_000_000,
      });
      let now = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS + BUCKET_MS / 2;
      t.mock.method(Date, 'now', () => now);
      // Names arrive in reverse name order: the store keeps the first to arrive, a view breaks ties by name.
      const nameOf = (round: string, count: number, i: number) => `${round}${String(count - 1 - i).padStart(2, '0')}`;
      const named = async (round: string, count: number) => {
        for (let from = 0; from < count; from += 20) {
          const beats = Array.from({ length: Math.min(20, count - from) }, (_, i) => beat(STREAM, `${round}-${from + i}-session`, 1, { watchMs: WATCH_MS, rendition: nameOf(round, count, from + i) }));
          assert.equal(await post(tracker.httpUrl, beats), 204);
        }
      };
      const ladder = ['240p', '360p', '720p'];
      // Each share is rounded to 4 digits.
      const sharesAddUp = ({ renditions }: StreamSummary) =>
        assert.ok(Math.abs(renditions.reduce((sum, r) => sum + r.share, 0) - 1) <= renditions.length * 0.00005, 'shares add up to 1');
      const ladderBeats = (stream: string, seq: number) => ladder.map((rendition) => beat(stream, `honest-${rendition}-viewer`, seq, { watchMs: seq * WATCH_MS, rendition }));

      // Positive control: under the cap every name is listed as sent.
      assert.equal(await post(tracker.httpUrl, [...ladderBeats(STREAM, 1), ...ladderBeats(HONEST_STREAM, 1)], '10.7.0.1'), 204);
      assert.deepEqual((await summary(tracker.httpUrl, STREAM)).renditions.map((r) => r.rendition), ladder);

      await named('r', 40);
      // The honest viewers' renditions are held already: their watch time stays theirs.
      assert.equal(await post(tracker.httpUrl, [...ladderBeats(STREAM, 2), ...ladderBeats(HONEST_STREAM, 2)], '10.7.0.1'), 204);
      const capped = await summary(tracker.httpUrl, STREAM);
      const byName = new Map(capped.renditions.map((r) => [r.rendition, r]));
      assert.equal(capped.renditions.length, MAX_RENDITIONS_PER_BUCKET + 1);
      assert.equal(capped.renditions.at(-1)!.rendition, OVERFLOW_RENDITION);
      const held = MAX_RENDITIONS_PER_BUCKET - ladder.length;
      assert.deepEqual(
        capped.renditions.slice(ladder.length, -1).map((r) => r.rendition),
        Array.from({ length: held }, (_, i) => nameOf('r', 40, held - 1 - i)),
        'the bucket holds the names that came first; later ones are counted as the overflow',
      );
      assert.equal(capped.watchMs, (40 + 2 * ladder.length) * WATCH_MS, 'no watch time is lost');
      assert.equal(byName.get(OVERFLOW_RENDITION)!.share, Math.round((10_000 * (40 - held) * WATCH_MS) / capped.watchMs) / 10_000);
      for (const rendition of ladder) assert.equal(byName.get(rendition)!.share, Math.round((10_000 * 2 * WATCH_MS) / capped.watchMs) / 10_000);
      sharesAddUp(capped);

      // The next bucket has room for new names again; the summary still lists the cap at most.
      now += BUCKET_MS;
      await named('s', 20);
      now += BUCKET_MS;
      const detail = (await summary(tracker.httpUrl, STREAM)) as StreamDetail;
      assert.equal(detail.watchMs, (60 + 2 * ladder.length) * WATCH_MS);
      assert.equal(detail.renditions.length, MAX_RENDITIONS_PER_BUCKET + 1);
      assert.equal(detail.renditions.at(-1)!.rendition, OVERFLOW_RENDITION);
      sharesAddUp(detail);
      // The chart sums the store's overflow with its own rest: one (other), and every viewer in some column.
      const { renditions: charted, viewers } = detail.renditionSeries;
      assert.deepEqual(charted.filter((name) => name === OVERFLOW_RENDITION), [OVERFLOW_RENDITION]);
      assert.equal(charted.at(-1), OVERFLOW_RENDITION);
      for (const [i, point] of detail.series.entries()) assert.equal(viewers[i]!.reduce((sum, v) => sum + v, 0).toFixed(2), point.viewers.toFixed(2));
      assert.equal(detail.series.at(-2)!.viewers, (40 + 2 * ladder.length) * WATCH_MS / BUCKET_MS);

      const honest = await summary(tracker.httpUrl, HONEST_STREAM);
      assert.deepEqual(honest.renditions.map(({ rendition, share }) => ({ rendition, share })), ladder.map((rendition) => ({ rendition, share: 0.3333 })));
    });
  });
}
