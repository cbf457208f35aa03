import assert from 'node:assert/strict';
import { test } from 'node:test';
import { offloadPercent, StatsRecorder } from '../src/stats.ts';

const live = { liveLatency: 9.5, bufferAhead: 4, mode: 'p2p' as const, fallbackReason: null, seeding: null };

function clock(start = 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('offload is the peer share of downloaded bytes, in percent with one decimal', () => {
  assert.equal(offloadPercent(0, 0), 0);
  assert.equal(offloadPercent(75, 25), 75);
  assert.equal(offloadPercent(1, 2), 33.3);
  assert.equal(offloadPercent(10, 0), 100);
});

test('bytes and segments add up by source', () => {
  const t = clock();
  const stats = new StatsRecorder(t.now);
  stats.downloaded(300, 'http');
  stats.downloaded(700, 'p2p');
  stats.segmentLoaded('p2p');
  stats.uploaded(1200);
  const s = stats.snapshot(live);
  assert.deepEqual([s.httpBytes, s.p2pBytes, s.uploadedBytes, s.offloadPercent, s.segments.p2p, s.segments.http], [300, 700, 1200, 70, 1, 0]);
});

test('peers are counted once and leave', () => {
  const stats = new StatsRecorder(clock().now);
  stats.peerConnected('a');
  stats.peerConnected('a');
  stats.peerConnected('b');
  stats.peerClosed('a');
  assert.equal(stats.snapshot(live).peers, 1);
});

test('startup time runs from creation to the first frame; waiting before it is not a stall', () => {
  const t = clock();
  const stats = new StatsRecorder(t.now);
  stats.waiting();
  t.advance(1500);
  stats.playing();
  t.advance(500);
  stats.playing();
  const s = stats.snapshot(live);
  assert.equal(s.startupMs, 1500);
  assert.equal(s.stalls, 0);
});

test('stalls count once each and their time adds up, including one in progress', () => {
  const t = clock();
  const stats = new StatsRecorder(t.now);
  stats.playing();
  stats.waiting();
  stats.waiting();
  t.advance(800);
  stats.playing();
  t.advance(5000);
  stats.waiting();
  t.advance(300);
  const s = stats.snapshot(live);
  assert.equal(s.stalls, 2);
  assert.equal(s.stalledMs, 1100);
  assert.equal(stats.stalledWithin(10), true);
});

test('a seek ends a stall; recent stalls are remembered for a while', () => {
  const t = clock();
  const stats = new StatsRecorder(t.now);
  stats.playing();
  stats.waiting();
  t.advance(200);
  stats.interrupted();
  t.advance(10_000);
  assert.equal(stats.snapshot(live).stalledMs, 200);
  stats.waiting();
  stats.playing();
  assert.equal(stats.stalledWithin(30_000), true);
  t.advance(31_000);
  assert.equal(stats.stalledWithin(30_000), false);
});
