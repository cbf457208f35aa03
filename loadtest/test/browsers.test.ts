// `event --browsers`: real Chromium pages running the player SDK's own bundle in the audience,
// beside virtual viewers, against a tracker and an origin started here. Both kinds play, the
// report gives each kind's figures, and a browser's figures are what its page's player.stats() said.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SwarmcastStats } from '@swarmcast/player-sdk/policy';
import { webrtcSkip } from '@swarmcast/testkit';
import { chromiumMissing } from '@swarmcast/testkit/chromium';
import type { Variant } from '../src/master-playlist.ts';
import { namespaceSupport } from '../src/network/test-hosts.ts';
import type { LoadtestResult } from '../src/result.ts';
import type { ViewerRecord } from '../src/scenarios/event-analysis.ts';
import { planAudience } from '../src/scenarios/event-audience.ts';
import type { EventRecording } from '../src/scenarios/event-scenario.ts';
import { liveStatsOf, type PageReport } from '../src/viewer/browser-viewer.ts';
import { figure, runCli, runEventOnStack } from './support/local-stack.ts';

const skip = chromiumMissing() || webrtcSkip;

// The browsers play the SDK's built bundle: a fresh checkout builds it here, as the SDK's own tests do.
const bundle = fileURLToPath(import.meta.resolve('@swarmcast/player-sdk/swarmcast.min.js'));
if (!skip && !existsSync(bundle)) assert.equal(spawnSync('npm', ['run', 'build', '-w', '@swarmcast/player-sdk'], { stdio: 'inherit' }).status, 0, 'building the player SDK');

test('--browsers: k of the first V viewers exactly, spread evenly, apart from the unreachable and cellular shares', () => {
  const variant: Variant = { name: '240p', bandwidth: 400_000, url: 'http://origin/live/sample/240p/index.m3u8', level: { bitrate: 400_000, attrs: {} } };
  const plan = planAudience([{ variant, streamIndex: 0 }], { network: 'lan', unreachable: 0.1, cellular: 0.1, browsers: 2, viewers: 16, seed: 1 });
  const members = [...Array(16).keys()].map((n) => plan.member(n));
  const browsers = members.filter((m) => m.kind === 'browser');
  assert.deepEqual(browsers.map((m) => m.name), ['viewer-6', 'viewer-14']);
  assert.ok(browsers.every((m) => !m.unreachable && !m.cellular));
  const none = planAudience([{ variant, streamIndex: 0 }], { network: 'lan', unreachable: 0, cellular: 0, browsers: 0, viewers: 4, seed: 1 });
  assert.ok([...Array(8).keys()].every((n) => none.member(n).kind === 'virtual'));
});

test('a browser\'s LiveStats are its player.stats(): bytes, segments, stalls, startup, latency, role', () => {
  const stats = {
    httpBytes: 1000, p2pBytes: 3000, uploadedBytes: 500, offloadPercent: 75, segments: { http: 2, p2p: 5 }, peers: 2,
    liveLatency: 12.3, bufferAhead: 4, stalls: 1, stalledMs: 1500, startupMs: 2345, mode: 'p2p', fallbackReason: null,
    integrity: { enabled: false, verified: 0, rejected: 0, bannedPeers: 0 }, seeding: { role: 'relay', swarmSize: 4 },
  } satisfies SwarmcastStats;
  const report: PageReport = { stats, peerConnections: 3, connectMs: 1234, firstSequence: 10, lastSequence: 16, roleMs: { seeder: 0, backup: 1000, relay: 5000, none: 2000 }, fetches: [], errors: [] };
  const live = liveStatsOf(report, { startup: 1, 'peer-failed': 0, 'no-peers': 0, seed: 0, deadline: 1 });
  assert.deepEqual(
    { http: live.httpBytes, p2p: live.p2pBytes, up: live.uploadedBytes, loaded: live.segmentsLoaded, fromPeers: live.segmentsFromPeers, bytes: live.segmentBytes, late: live.lateSegments, stall: live.stallSec, startup: live.startupSec, connect: live.connectSec, latency: live.latencySec, role: live.role, relay: live.roleSec.relay },
    { http: 1000, p2p: 3000, up: 500, loaded: 7, fromPeers: 5, bytes: 4000, late: 1, stall: 1.5, startup: 2.3, connect: 1.2, latency: 12.3, role: 'relay', relay: 5 },
  );
});

test('--browsers above --viewers is a usage error', async () => {
  const run = await runCli(['event', '--viewers', '2', '--browsers', '3', '--duration', '5', '--ramp', '1']);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--browsers 3 exceeds --viewers 2/);
});

interface BrowserDetail {
  viewer: string;
  kind: 'virtual' | 'browser';
  segmentsLoaded: number;
  startupSec: number | null;
  httpBytes: number;
  p2pBytes: number;
  playerStats?: SwarmcastStats;
}

const kindMetric = (result: LoadtestResult, name: string, kind: string) => result.metrics.find((m) => m.name === name && m.tags?.['kind'] === kind)?.value;

/** Both kinds played; each kind has its figures; each browser's recorded stats are its page's last player.stats(). */
function checkKinds(result: LoadtestResult, stderr: string, viewers: number, browsers: number): void {
  assert.equal(figure(result, 'viewers'), viewers, stderr);
  const details = result.details['viewers'] as BrowserDetail[];
  assert.equal(details.filter((v) => v.kind === 'browser').length, browsers);
  for (const viewer of details) assert.ok(viewer.segmentsLoaded > 0 && viewer.startupSec !== null, `${viewer.viewer} (${viewer.kind}) played: ${JSON.stringify(viewer)}`);

  for (const kind of ['virtual', 'browser']) {
    assert.equal(kindMetric(result, 'viewers', kind), kind === 'browser' ? browsers : viewers - browsers);
    for (const name of ['offload', 'startup_p50', 'startup_p95', 'late_segments', 'stall_ratio', 'fetches_per_segment']) {
      assert.ok(Number.isFinite(kindMetric(result, name, kind)), `${name}{kind:${kind}} in ${JSON.stringify(result.metrics.filter((m) => m.tags?.['kind']))}`);
    }
    assert.ok(figure(result, `offload, ${kind} viewers`) >= 0);
  }

  const records = (result.details['recording'] as EventRecording).passes[0]!.records;
  const pages = records.filter((r): r is ViewerRecord & { playerStats: SwarmcastStats } => r.kind === 'browser' && r.playerStats !== null);
  assert.equal(pages.length, browsers, 'every browser kept its page\'s stats()');
  for (const { name, stats, playerStats, fetches } of pages) {
    assert.ok(stats, name);
    assert.deepEqual(
      [stats.httpBytes, stats.p2pBytes, stats.uploadedBytes, stats.peers, stats.segmentsLoaded, stats.segmentsFromPeers, stats.lateSegments, stats.stallSec, stats.latencySec, stats.role],
      [playerStats.httpBytes, playerStats.p2pBytes, playerStats.uploadedBytes, playerStats.peers, playerStats.segments.http + playerStats.segments.p2p, playerStats.segments.p2p, playerStats.stalls, playerStats.stalledMs / 1000, playerStats.liveLatency, playerStats.seeding?.role ?? null],
      `${name}: recorded stats vs its page's player.stats()`,
    );
    assert.equal(stats.startupSec, Math.round(playerStats.startupMs! / 100) / 10);
    // Every segment the player took over HTTP was reported as an origin fetch, no more.
    assert.equal(fetches.length, playerStats.segments.http, `${name}: origin fetches reported vs segments over HTTP`);
  }
  // The browsers' offload in the report is the one their pages' stats() give.
  const p2p = pages.reduce((total, page) => total + page.playerStats.p2pBytes, 0);
  const all = pages.reduce((total, page) => total + page.playerStats.p2pBytes + page.playerStats.httpBytes, 0);
  assert.ok(Math.abs(kindMetric(result, 'offload', 'browser')! - p2p / all) < 1e-9);
}

test('event --browsers 2 of 4 on loopback: both kinds play, the report splits by kind, the browsers\' figures are their pages\' stats()', { skip, timeout: 150_000 }, async (t) => {
  const { result, stderr } = await runEventOnStack(t, ['--viewers', '4', '--browsers', '2', '--duration', '30', '--ramp', '4']);
  checkKinds(result, stderr, 4, 2);
  const details = result.details['viewers'] as BrowserDetail[];
  assert.ok(details.some((v) => v.p2pBytes > 0), 'the audience shared segments');
});

const hostsMissing = skip || (await namespaceSupport({ firewall: true }));

test('event --browsers 1 of 3 --network residential: a browser on a host of its own plays in one swarm with virtual viewers', { skip: hostsMissing || false, timeout: 150_000 }, async (t) => {
  const { result, stderr } = await runEventOnStack(t, ['--viewers', '3', '--browsers', '1', '--duration', '30', '--ramp', '3', '--network', 'residential']);
  checkKinds(result, stderr, 3, 1);
  // Its only possible peers are virtual: bytes either way prove they named the rendition's swarm alike.
  const records = (result.details['recording'] as EventRecording).passes[0]!.records;
  const page = records.find((r) => r.kind === 'browser')!.playerStats!;
  assert.ok(page.p2pBytes + page.uploadedBytes > 0, `the browser exchanged segments with virtual viewers: ${JSON.stringify(page)}`);
});
