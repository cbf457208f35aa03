// The event report's arithmetic and the fetch-reason rules, on recorded data (no viewers run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseRendition, connectTimesSec, describeReasons, fetchesPerSegmentAfter, overallFetchesPerSegment, uplinkUse, type ViewerRecord } from '../src/scenarios/event-analysis.ts';
import { planAudience } from '../src/scenarios/event-audience.ts';
import { classifyFetch, type FetchContext } from '../src/viewer/fetch-reason.ts';
import type { LiveStats } from '../src/viewer/live-playback.ts';

const playing: FetchContext = { starting: false, peerAttempted: false, resumesPeerBytes: false, connectedPeers: 3, secondsAhead: 5, httpWindowSec: 4, seeder: false };

test('fetch reasons: the first rule that holds wins', () => {
  assert.equal(classifyFetch({ ...playing, starting: true, peerAttempted: true, connectedPeers: 0 }), 'startup');
  assert.equal(classifyFetch({ ...playing, peerAttempted: true, connectedPeers: 0 }), 'peer-failed');
  assert.equal(classifyFetch({ ...playing, resumesPeerBytes: true, secondsAhead: 1 }), 'peer-failed');
  assert.equal(classifyFetch({ ...playing, connectedPeers: 0, secondsAhead: 9 }), 'no-peers');
  assert.equal(classifyFetch({ ...playing, secondsAhead: 4.5 }), 'seed');
  assert.equal(classifyFetch({ ...playing, secondsAhead: 4 }), 'deadline');
  assert.equal(classifyFetch({ ...playing, secondsAhead: 4, seeder: true }), 'seed');
  assert.equal(classifyFetch({ ...playing, starting: true, seeder: true }), 'startup');
  assert.equal(classifyFetch({ ...playing, secondsAhead: 0.5 }), 'deadline');
});

function viewer(name: string, first: number, last: number, fetches: Array<[number, ViewerRecord['fetches'][number]['reason']]>): ViewerRecord {
  return {
    name,
    rendition: '240p',
    kind: 'virtual',
    link: null,
    unreachable: false,
    cellular: false,
    joinedAtSec: 0,
    leftAtSec: null,
    stats: { firstSequence: first, lastSequence: last, uploadedBytes: 0 } as LiveStats,
    playerStats: null,
    fetches: fetches.map(([sequence, reason]) => ({ sequence, reason, atSec: sequence * 2 })),
    uplink: [],
    burstBytes: 0,
  };
}

test('fetches per segment: origin requests over the union of watched segments; spread and reasons from the viewers', () => {
  const viewers = [
    viewer('a', 10, 19, [[10, 'startup'], [11, 'startup'], [12, 'seed'], [13, 'seed'], [14, 'deadline']]),
    // Joined later: its range overlaps; 20–21 are watched only by it.
    viewer('b', 14, 21, [[14, 'startup'], [20, 'peer-failed'], [21, 'no-peers']]),
  ];
  const analysis = analyseRendition('240p', viewers, 8);
  assert.equal(analysis.segmentsWatched, 12);
  assert.equal(analysis.reportedRequests, 8);
  assert.equal(analysis.fetchesPerSegment, 8 / 12);
  assert.deepEqual(analysis.byReason, { startup: 3, 'peer-failed': 1, 'no-peers': 1, seed: 2, deadline: 1 });
  // Segment 14 was fetched twice, 15–19 never: sorted counts are five 0s, six 1s, one 2.
  assert.deepEqual(analysis.perSegment, { p50: 1, p95: 2, max: 2 });
  assert.deepEqual(analysis.timeline.find((t) => t.sequence === 14), { atSec: 28, sequence: 14, startup: 1, 'peer-failed': 0, 'no-peers': 0, seed: 0, deadline: 1 });
  const other = analyseRendition('360p', [viewer('c', 0, 3, [[0, 'startup']])], 4);
  assert.equal(overallFetchesPerSegment([analysis, other]), 12 / 16);
  assert.equal(describeReasons([analysis]), 'startup 0.25 · peer-failed 0.08 · no-peers 0.08 · seed 0.17 · deadline 0.08');
});

test('uplink use: mean and peak from the link counters, excess over cap × interval', () => {
  const record = { ...viewer('a', 0, 1, []), link: { uplinkKbit: 800, downlinkKbit: 8000 }, uplink: [
    { readStartSec: 0, atSec: 0, uplinkBytes: 0 },
    { readStartSec: 1, atSec: 1, uplinkBytes: 100_000 }, // 800 kbit in 1 s: exactly the cap
    { readStartSec: 2, atSec: 2, uplinkBytes: 212_000 }, // 12 kB over
    { readStartSec: 3.9, atSec: 4, uplinkBytes: 262_000 },
  ] };
  const use = uplinkUse(record, 10);
  assert.equal(use.capKbit, 800);
  assert.equal(use.peakKbit, 896);
  assert.equal(use.maxExcessBytes, 12_000);
  // A slow read widens the interval the bytes may have taken, never narrows it.
  const slowRead = uplinkUse({ ...record, uplink: [{ readStartSec: 0.9, atSec: 1, uplinkBytes: 0 }, { readStartSec: 2, atSec: 2, uplinkBytes: 110_000 }] }, 10);
  assert.ok(Math.abs(slowRead.maxExcessBytes) < 1e-6, String(slowRead.maxExcessBytes));
  assert.equal(use.meanKbit, (262_000 * 8) / 1000 / 4);
});

test('audience plan: repeatable draws, round-robin renditions, unreachable and cellular viewers spread evenly on different viewers', () => {
  const renditions = [{ variant: { name: '240p', bandwidth: 1, url: 'u1', level: { bitrate: 1, attrs: {} } }, streamIndex: 0 }, { variant: { name: '360p', bandwidth: 2, url: 'u2', level: { bitrate: 2, attrs: {} } }, streamIndex: 1 }];
  const plan = planAudience(renditions, { network: 'residential', unreachable: 0.25, cellular: 0.25, browsers: 0, viewers: 8, seed: 7 });
  const again = planAudience(renditions, { network: 'residential', unreachable: 0.25, cellular: 0.25, browsers: 0, viewers: 8, seed: 7 });
  const members = Array.from({ length: 8 }, (_, n) => plan.member(n));
  assert.deepEqual(members, Array.from({ length: 8 }, (_, n) => again.member(n)));
  assert.deepEqual(members.map((m) => m.variant.name), ['240p', '360p', '240p', '360p', '240p', '360p', '240p', '360p']);
  assert.equal(members.filter((m) => m.unreachable).length, 2);
  assert.equal(members.filter((m) => m.cellular).length, 2);
  assert.ok(members.every((m) => !(m.unreachable && m.cellular)), 'the two shares fall on different viewers');
  assert.ok(members.every((m) => m.link !== null && m.link.uplinkKbit > 0));
  const fixed = planAudience(renditions, { network: 'lan', uplinkKbit: 2000, unreachable: 0, cellular: 0, browsers: 0, viewers: 1, seed: 1 }).member(0);
  assert.equal(fixed.link?.uplinkKbit, 2000);
  assert.equal(planAudience(renditions, { network: 'lan', unreachable: 0, cellular: 0, browsers: 0, viewers: 1, seed: 1 }).member(0).link, null);
});

test('fetches per segment after the ramp: responses in the window over segments published in it', () => {
  const readings = [0, 10, 20, 30, 40].map((second) => ({ second, originSegmentRequests: second < 20 ? second * 3 : 60 + (second - 20) / 2 }));
  // From 20 s to 40 s: 10 more responses, 10 segments of 2 s published on one rendition.
  assert.equal(fetchesPerSegmentAfter(readings, 20, 2, 1), 1);
  assert.equal(fetchesPerSegmentAfter(readings, 20, 2, 2), 0.5);
  assert.ok(Number.isNaN(fetchesPerSegmentAfter(readings, 39, 2, 1)), 'no whole segment after 39 s');
});

test('connection times leave out the first viewer to join and those that never connected', () => {
  const viewers = [{ joinedAtSec: 0.2, connectSec: 3 }, { joinedAtSec: 0.8, connectSec: 0.5 }, { joinedAtSec: 1.4, connectSec: null }, { joinedAtSec: 2, connectSec: 0.7 }];
  assert.deepEqual(connectTimesSec(viewers), [0.5, 0.7]);
});
