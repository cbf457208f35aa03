/** Telemetry without a browser: where beats go, what they carry, how they are batched. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Beat } from '@swarmcast/protocol/beat-schema';
import { OptionError, resolveOptions } from '../src/options.ts';
import type { SwarmcastStats } from '../src/stats.ts';
import { BeatBatcher, BeatSequence, collectorUrlFor, WatchClock } from '../src/telemetry.ts';

const SRC = 'https://cdn.example/live/show/master.m3u8?session=abc';

test('beats go to the first tracker over http(s) at /telemetry by default, without its token', () => {
  assert.equal(collectorUrlFor('ws://127.0.0.1:8000'), 'http://127.0.0.1:8000/telemetry');
  assert.equal(collectorUrlFor('wss://tracker.example/announce?token=secret'), 'https://tracker.example/telemetry');
  const options = resolveOptions({ src: SRC, trackers: ['wss://t1.example', 'wss://t2.example'], token: 'secret' });
  assert.deepEqual(options.telemetry, { url: 'https://t1.example/telemetry', intervalMs: 15_000, stream: 'https://cdn.example/live/show/master.m3u8' });
});

test('telemetry: false, no tracker, an explicit url, a stream name, bad values', () => {
  assert.equal(resolveOptions({ src: SRC, trackers: ['ws://t.example'], telemetry: false }).telemetry, null);
  assert.equal(resolveOptions({ src: SRC }).telemetry, null, 'nowhere to send without a tracker or url');
  assert.deepEqual(resolveOptions({ src: SRC, swarmId: 'show-1', telemetry: { url: '/collect', intervalMs: 5000 } }).telemetry, {
    url: 'https://cdn.example/collect',
    intervalMs: 5000,
    stream: 'show-1',
  });
  assert.equal(resolveOptions({ src: SRC, trackers: ['ws://t.example'], telemetry: { stream: 'finale' } }).telemetry?.stream, 'finale');
  for (const telemetry of [{ intervalMs: 500 }, { intervalMs: 60_000 }, { url: 'ftp://x.example/' }, { stream: '' }, 'yes']) {
    assert.throws(() => resolveOptions({ src: SRC, trackers: ['ws://t.example'], telemetry: telemetry as never }), OptionError);
  }
});

const stats = (fields: Partial<SwarmcastStats>): SwarmcastStats => ({
  httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, offloadPercent: 0, segments: { http: 0, p2p: 0 }, peers: 0, liveLatency: null, bufferAhead: 0,
  stalls: 0, stalledMs: 0, startupMs: null, mode: 'p2p', fallbackReason: null,
  integrity: { enabled: false, verified: 0, rejected: 0, bannedPeers: 0 }, seeding: null, ...fields,
});

test('beats carry cumulative counters, a growing seq and one random session id; nothing else', () => {
  const sequence = new BeatSequence('show');
  assert.match(sequence.sid, /^[A-Za-z0-9_-]{22}$/);
  assert.notEqual(new BeatSequence('show').sid, sequence.sid);
  const first = sequence.next({ stats: stats({ httpBytes: 100, startupMs: 900, liveLatency: 6.54 }), watchMs: 1000, errors: 0, rendition: '360p' });
  const last = sequence.next({ stats: stats({ httpBytes: 150, p2pBytes: 400, stalls: 1, stalledMs: 300, peers: 2 }), watchMs: 9000, errors: 2, rendition: null }, true);
  assert.deepEqual(first, {
    v: 1, sid: sequence.sid, seq: 1, stream: 'show', http: 100, p2p: 0, up: 0, peers: 0, stalls: 0, stallMs: 0, watchMs: 1000,
    startupMs: 900, latencyMs: 6540, errors: 0, rendition: '360p',
  });
  assert.equal(last.seq, 2);
  assert.equal(last.end, true);
  assert.equal(last.http, 150);
  assert.ok(JSON.stringify({ beats: [last] }).length < 400, 'compact');
});

test('watch time runs from the first frame while not paused', () => {
  const clock = new WatchClock();
  assert.equal(clock.read(1000), 0);
  clock.start(1000);
  clock.start(1500);
  assert.equal(clock.read(3000), 2000);
  clock.stop(3000);
  assert.equal(clock.read(9000), 2000);
  clock.start(10_000);
  assert.equal(clock.read(10_500), 2500);
});

test('beats due together go in one POST per collector; the latest beat of a session wins', async () => {
  const posts: Array<{ url: string; beats: Beat[]; transport: string }> = [];
  const batcher = new BeatBatcher((url, body, transport) => posts.push({ url, beats: (JSON.parse(body) as { beats: Beat[] }).beats, transport }));
  const a = new BeatSequence('show');
  const b = new BeatSequence('show');
  const sample = { stats: stats({}), watchMs: 0, errors: 0, rendition: null };
  batcher.add('http://t/telemetry', a.next(sample));
  batcher.add('http://t/telemetry', a.next(sample));
  batcher.add('http://t/telemetry', b.next(sample));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(posts.length, 1);
  assert.deepEqual(posts[0]!.beats.map((beat) => [beat.sid, beat.seq]), [[a.sid, 2], [b.sid, 1]]);
  batcher.add('http://t/telemetry', a.next(sample, true));
  batcher.flush('beacon');
  assert.equal(posts[1]!.transport, 'beacon');
  assert.equal(posts[1]!.beats[0]!.end, true);
});
