/**
 * What operators scrape and probe, through HTTP against running trackers: the standard process
 * metrics, build_info, the histograms after the events they time, refusal counters at 0 before any
 * refusal, and on Redis `swarmcast_redis_up` and `/health/ready` through an outage of the test's own
 * redis-server, while `/health/live` keeps answering 200.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { id20, isAnnounceResponse, isAnswer, isOffer, startRedis, waitFor, WireClient, type RedisServer } from '@swarmcast/testkit';
import { REJECT_REASONS } from '../src/metrics.ts';
import { BEAT_REJECT_REASONS } from '../src/telemetry/metrics.ts';
import { closedAfterTests, type RunningTracker } from './support/tracker-fixture.ts';

const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
const sdp = 'v=0\r\na=candidate:x\r\n';
const WAIT = { timeoutMs: 20_000, intervalMs: 200 };

interface Exposition {
  types: Map<string, string>;
  /** `name{labels}` as written → value. */
  samples: Map<string, number>;
}

async function scrape(tracker: RunningTracker): Promise<Exposition> {
  const text = await (await fetch(`${tracker.httpUrl}/metrics`)).text();
  const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  const samples = new Map([...text.matchAll(/^([a-z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
  return { types, samples };
}

const status = async (tracker: RunningTracker, path: string) => (await fetch(tracker.httpUrl + path)).status;

describe('observability: metrics an operator reads', () => {
  const trackers = closedAfterTests();
  let tracker: RunningTracker;
  before(async () => {
    tracker = await trackers.start({});
  });

  test('default process and Node.js metrics unprefixed, and under the earlier swarmcast_tracker_ prefix', async () => {
    const { types } = await scrape(tracker);
    for (const [name, type] of [
      ['process_cpu_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
      ['nodejs_gc_duration_seconds', 'histogram'],
      ['swarmcast_tracker_nodejs_eventloop_lag_seconds', 'gauge'],
    ]) {
      assert.equal(types.get(name!), type, name);
    }
  });

  test('build_info carries the package version', async () => {
    const { types, samples } = await scrape(tracker);
    assert.equal(types.get('swarmcast_build_info'), 'gauge');
    assert.equal(samples.get(`swarmcast_build_info{version="${VERSION}"}`), 1);
  });

  test('refusal and outcome counters show 0 for every known label before any event', async () => {
    const { samples } = await scrape(tracker);
    for (const reason of REJECT_REASONS) assert.equal(samples.get(`swarmcast_tracker_rejections_total{reason="${reason}"}`), 0, reason);
    for (const reason of BEAT_REJECT_REASONS) assert.equal(samples.get(`swarmcast_telemetry_rejections_total{reason="${reason}"}`), 0, reason);
    for (const outcome of ['accepted', 'stale', 'overflow', 'too_many_sessions']) assert.equal(samples.get(`swarmcast_telemetry_beats_total{outcome="${outcome}"}`), 0, outcome);
    for (const kind of ['stream', 'session']) assert.equal(samples.get(`swarmcast_telemetry_evictions_total{kind="${kind}"}`), 0, kind);
    for (const outcome of ['member', 'not_member', 'unknown_swarm', 'rate_limited', 'store_unavailable']) {
      assert.equal(samples.get(`swarmcast_coordination_requests_total{outcome="${outcome}"}`), 0, outcome);
    }
  });

  test('the memory store has no swarmcast_redis_up and is always ready', async () => {
    const { types } = await scrape(tracker);
    assert.equal(types.has('swarmcast_redis_up'), false);
    assert.equal(types.has('swarmcast_tracker_redis_command_duration_seconds'), false);
    assert.equal(await status(tracker, '/health/live'), 200);
    assert.equal(await status(tracker, '/health/ready'), 200);
  });

  test('an announce and an offer answered are timed in their histograms', async () => {
    const before = await scrape(tracker);
    for (const name of ['swarmcast_tracker_announce_duration_seconds', 'swarmcast_tracker_offer_answer_seconds']) assert.equal(before.types.get(name), 'histogram', name);
    const swarm = id20('obs-swarm');
    const [offerer, answerer] = await Promise.all([WireClient.connect(tracker.url), WireClient.connect(tracker.url)]);
    trackers.keep(offerer);
    trackers.keep(answerer);
    answerer.send({ action: 'announce', info_hash: swarm, peer_id: id20('obs-b'), numwant: 5 });
    await answerer.next(isAnnounceResponse(swarm));
    offerer.send({ action: 'announce', info_hash: swarm, peer_id: id20('obs-a'), numwant: 5, offers: [{ offer_id: id20('obs-o'), offer: { type: 'offer', sdp } }] });
    await offerer.next(isAnnounceResponse(swarm));
    const offer = await answerer.next(isOffer);
    answerer.send({ action: 'announce', info_hash: swarm, peer_id: id20('obs-b'), to_peer_id: offer['peer_id'], offer_id: offer['offer_id'], answer: { type: 'answer', sdp } });
    await offerer.next(isAnswer);

    const later = await scrape(tracker);
    const added = (name: string) => (later.samples.get(`${name}_count`) ?? 0) - (before.samples.get(`${name}_count`) ?? 0);
    assert.equal(added('swarmcast_tracker_announce_duration_seconds'), 2);
    assert.equal(added('swarmcast_tracker_offer_answer_seconds'), 1);
    const { samples } = later;
    const relay = samples.get('swarmcast_tracker_offer_answer_seconds_sum')!;
    // The answer came back within this test: positive, and well under the offers' 50 s lifetime.
    assert.ok(relay > 0 && relay < 50, `offer→answer ${relay} s`);
    assert.equal(samples.get('swarmcast_tracker_offer_answer_seconds_bucket{le="+Inf"}'), samples.get('swarmcast_tracker_offer_answer_seconds_count'));
  });
});

describe('observability: Redis down and back', () => {
  const trackers = closedAfterTests();
  let redis: RedisServer;
  let tracker: RunningTracker;
  before(async () => {
    redis = await startRedis();
    tracker = await trackers.start({ redisUrl: redis.url });
  });
  after(() => redis.stop());

  test('redis_up and /health/ready follow Redis; /health/live stays 200', async () => {
    const up = async () => (await scrape(tracker)).samples.get('swarmcast_redis_up');
    assert.equal(await up(), 1);
    assert.equal(await status(tracker, '/health/ready'), 200);
    const { samples, types } = await scrape(tracker);
    assert.equal(types.get('swarmcast_tracker_redis_command_duration_seconds'), 'histogram');
    assert.ok(samples.get('swarmcast_tracker_redis_command_duration_seconds_count')! > 0, 'commands timed');

    await redis.kill();
    assert.equal(await waitFor(up, (value) => value === 0, WAIT), 0);
    assert.equal(await status(tracker, '/health/ready'), 503);
    const ready = (await (await fetch(`${tracker.httpUrl}/health/ready`)).json()) as { status: string; error: string };
    assert.equal(ready.status, 'unavailable');
    assert.match(ready.error, /Redis/);
    assert.equal(await status(tracker, '/health/live'), 200);
    assert.equal(await status(tracker, '/health'), 503, '/health keeps its meaning');

    await redis.restart();
    assert.equal(await waitFor(up, (value) => value === 1, WAIT), 1);
    assert.equal(await waitFor(() => status(tracker, '/health/ready'), (code) => code === 200, WAIT), 200);
    assert.equal(await status(tracker, '/health/live'), 200);
  });
});
