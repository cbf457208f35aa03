// The event scenario against a tracker and an origin started here: three real p2p-media-loader
// viewers with real WebRTC share a live stream, and the origin serves less than HTTP-only would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webrtcSkip } from '@swarmcast/testkit';
import { namespaceSupport } from '../src/network/test-hosts.ts';
import type { RenditionAnalysis, UplinkUse } from '../src/scenarios/event-analysis.ts';
import { figure, readResult, runCli, runEventOnStack, startOrigin, startTracker } from './support/local-stack.ts';

const skip = webrtcSkip;

test('event: three virtual viewers of the live stream offload the origin through each other', { skip, timeout: 90_000 }, async (t) => {
  const [tracker, origin] = await Promise.all([startTracker(), startOrigin()]);
  t.after(async () => {
    await tracker.close();
    await origin.close();
  });
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-event-'));
  const out = join(dir, 'event.json');
  const csv = join(dir, 'viewers.csv');
  const gate = ['--threshold', 'viewers==3', 'late_segments>=0', 'offload>0%', 'startup_p95<=30s'];
  const run = await runCli(['event', '--origin', origin.url, '--tracker', tracker.url, '--viewers', '3', '--duration', '36', '--ramp', '4', '--out', out, '--csv', csv, ...gate]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const result = readResult(out);
  assert.equal(figure(result, 'viewers'), 3, run.stderr);
  // The metrics say what the figures say, and the thresholds judged them.
  const named = (name: string) => result.metrics.find((m) => m.name === name && m.tags === undefined)?.value;
  assert.equal(named('viewers'), 3);
  assert.ok(Math.abs(named('fetches_per_segment')! - figure(result, 'origin fetches per segment')) < 0.01);
  assert.deepEqual(result.verdict, { passed: true, thresholds: result.verdict!.thresholds });
  assert.equal(result.verdict!.thresholds.length, 4);
  assert.match(run.stdout, /4 of 4 thresholds passed/);
  // The CSV is the per-viewer table: a header and one line per viewer.
  const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^viewer,rendition,/);
  assert.ok(figure(result, 'offload') > 0, `offload ${figure(result, 'offload')} %`);
  assert.ok(figure(result, 'peer connections') > 0);
  assert.ok(figure(result, 'segments') > 20);
  const egress = figure(result, 'origin egress');
  const baseline = figure(result, 'HTTP-only baseline');
  assert.ok(egress > 0 && baseline > egress, `origin ${egress} MB vs baseline ${baseline} MB`);
  assert.ok(figure(result, 'uploaded') > 0);
  const viewers = result.details['viewers'] as { segmentsLoaded: number; startupSec: number | null }[];
  assert.ok(viewers.every((v) => v.segmentsLoaded > 0 && v.startupSec !== null), 'every viewer played');
});

/** Per-viewer details of an event result (the JSON the CLI writes). */
interface ViewerDetail {
  viewer: string;
  unreachable: boolean;
  link: { uplinkKbit: number; downlinkKbit: number } | null;
  uplink: UplinkUse & { burstBytes: number };
  peerConnections: number;
  segmentsLoaded: number;
  startupSec: number | null;
  leftAtSec: number | null;
  joinedAtSec: number;
  lateSegments: number;
}

const hostsMissing = skip || (await namespaceSupport({ firewall: true }));

test('event --network residential --unreachable 0.25: links hold their caps, the unreachable viewer plays over HTTP alone, origin fetches match the origin\'s counters', { skip: hostsMissing || false, timeout: 120_000 }, async (t) => {
  const { result, originStats, stderr } = await runEventOnStack(t, ['--viewers', '4', '--duration', '30', '--ramp', '3', '--network', 'residential', '--unreachable', '0.25']);
  assert.equal(figure(result, 'viewers'), 4, stderr);
  const viewers = result.details['viewers'] as ViewerDetail[];
  for (const viewer of viewers) {
    assert.ok(viewer.link !== null && viewer.link.uplinkKbit > 0, `${viewer.viewer} has a shaped link`);
    assert.ok(viewer.segmentsLoaded > 5 && viewer.startupSec !== null, `${viewer.viewer} played`);
    // tbf lets a burst through above the rate; a few frames of slack cover /proc/net/dev counting whole frames.
    assert.ok(viewer.uplink.maxExcessBytes <= viewer.uplink.burstBytes + 3 * 1514, `${viewer.viewer}: ${viewer.uplink.maxExcessBytes} B above its ${viewer.link?.uplinkKbit} kbit/s cap in one interval, burst ${viewer.uplink.burstBytes} B`);
  }
  const unreachable = viewers.filter((v) => v.unreachable);
  assert.equal(unreachable.length, 1);
  assert.equal(unreachable[0]!.peerConnections, 0, 'no WebRTC connection reached the unreachable viewer');
  assert.ok(viewers.filter((v) => !v.unreachable).some((v) => v.peerConnections > 0), 'the others met');
  assert.ok(figure(result, 'offload') > 0);

  // Cross-check: the fetches the viewers reported are the requests the origin counted, rendition by rendition.
  const renditions = result.details['renditions'] as RenditionAnalysis[];
  assert.equal(renditions.length, 1);
  const [rendition] = renditions as [RenditionAnalysis];
  const counted = originStats.streams['live/sample']?.renditions[rendition.rendition]?.kinds.segment?.requests;
  assert.equal(rendition.originRequests, counted);
  assert.equal(rendition.reportedRequests, counted);
  assert.ok(Math.abs(figure(result, 'origin fetches per segment') - counted! / rendition.segmentsWatched) < 0.01);
  assert.equal(Object.values(rendition.byReason).reduce((a, b) => a + b, 0), counted);
});

test('event --cellular 0.25: the cellular viewer takes segments from peers and uploads nothing; the others carry it', { skip, timeout: 120_000 }, async (t) => {
  const { result, stderr } = await runEventOnStack(t, ['--viewers', '4', '--duration', '30', '--ramp', '3', '--cellular', '0.25']);
  const viewers = result.details['viewers'] as Array<ViewerDetail & { cellular: boolean; uploadedBytes: number; p2pBytes: number }>;
  assert.equal(viewers.length, 4, stderr);
  const cellular = viewers.filter((v) => v.cellular);
  assert.equal(cellular.length, 1);
  assert.equal(cellular[0]!.uploadedBytes, 0, 'a cellular viewer sends nothing to peers');
  assert.ok(cellular[0]!.p2pBytes > 0, 'but takes segments from them');
  assert.ok(viewers.filter((v) => !v.cellular).some((v) => v.uploadedBytes > 0));
  assert.ok(viewers.every((v) => v.segmentsLoaded > 5), 'everyone played');
});

test('event --churn: viewers leave without a goodbye and newcomers join; the rest keep playing and the result counts them', { skip, timeout: 120_000 }, async (t) => {
  const { result, stderr } = await runEventOnStack(t, ['--viewers', '4', '--duration', '30', '--ramp', '3', '--churn', '8']);
  const churn = result.details['churn'] as { left: number; joined: number };
  // Every 7.5 s after the ramp: at 10.5, 18 and 25.5 s.
  assert.equal(churn.left, 3, stderr);
  assert.equal(churn.joined, 3);
  assert.match(String(result.figures.find((f) => f.label === 'viewers')?.meaning), /churn 8\/min: 3 left, 3 joined/);
  const viewers = result.details['viewers'] as ViewerDetail[];
  assert.equal(viewers.length, 7);
  assert.equal(viewers.filter((v) => v.leftAtSec !== null).length, 3);
  const stayed = viewers.filter((v) => v.leftAtSec === null);
  // Whoever stayed, old or new, played every segment it reached: what the departed held came from elsewhere.
  for (const viewer of stayed) {
    assert.ok(viewer.startupSec !== null && viewer.segmentsLoaded > 0, `${viewer.viewer} played`);
    assert.equal(viewer.lateSegments, 0, `${viewer.viewer} never waited for a segment`);
  }
  assert.ok(stayed.some((v) => v.joinedAtSec > 10), 'a newcomer is among them');
  assert.ok(figure(result, 'segments') > 20);
});
