/**
 * `npm run bench -w player-sdk`: N headless Chromium viewers of the live stream (lowest rendition)
 * for a few minutes, under Swarmcast's peer-first policy, p2p-media-loader's defaults (same
 * latency target) and HTTP only. Prints offload, origin egress, stalls, startup and latency.
 *
 * Options (environment): BENCH_VIEWERS (4), BENCH_STAGGER_SECONDS (3: viewers start this far
 * apart, as real ones arrive), BENCH_SECONDS (120), BENCH_WARMUP_SECONDS (20: the "steady" columns
 * exclude it), BENCH_JOINERS (seconds, comma-separated: one more viewer joins the playing swarm at
 * each; their startup and first buffer are reported apart), BENCH_LIVE_LATENCY (policy default),
 * BENCH_WINDOW (origin live window, the origin's default), BENCH_MODES (peer-first,library-default,
 * http-only; `peer-first` is the player's defaults, seeding coordination included; `uncoordinated`
 * is peer-first with `coordination: false`), BENCH_RECORDS (a directory: each mode's segment
 * events, every viewer's in order, are written there as `<mode>.json` for a closer look).
 * Runs itself inside a loopback-only network namespace (WebRTC must stay on loopback).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultOriginOptions } from '@swarmcast/origin';
import { canUnshare, inLoopbackNamespace, rerunInLoopbackNamespace, sleep } from '@swarmcast/testkit';
import { launchChromium } from '@swarmcast/testkit/chromium';
import { openViewer, segmentFigures, segmentRecords, startStack, type SegmentRecord, type Viewer } from '../test/harness.ts';
import { offloadPercent, type SwarmcastStats } from '../src/stats.ts';
import type { PolicyName } from '../src/options.ts';

const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 4);
const STAGGER_SEC = Number(process.env.BENCH_STAGGER_SECONDS ?? 3);
const JOINERS = (process.env.BENCH_JOINERS ?? '').split(',').filter(Boolean).map(Number).sort((a, b) => a - b);
const DURATION_SEC = Number(process.env.BENCH_SECONDS ?? 120);
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SECONDS ?? 20);
const LATENCY = process.env.BENCH_LIVE_LATENCY ? Number(process.env.BENCH_LIVE_LATENCY) : undefined;
const WINDOW = Number(process.env.BENCH_WINDOW ?? defaultOriginOptions.liveWindowSegments);
type Mode = PolicyName | 'uncoordinated' | 'http-only';
const RECORDS_DIR = process.env.BENCH_RECORDS;
const MODES = (process.env.BENCH_MODES ?? 'peer-first,library-default,http-only').split(',') as Mode[];

interface ModeResult {
  mode: string;
  offloadPercent: number;
  steadyOffloadPercent: number;
  originBytes: number;
  steadyOriginBytes: number;
  stalls: number;
  stalledMs: number;
  startupMs: number;
  latencySec: number;
  maxLatencySec: number;
  /** Steady state: origin fetches per segment (all viewers), and who fetched them (coordination role or `none`). */
  fetchesPerSegment: number;
  fetchesByRole: Record<string, number>;
  /** Steady state, segments from peers: seconds from the segment's first arrival anywhere to this viewer (p50 / p95). */
  meshDelaySec: [number, number];
  /** Joiners (BENCH_JOINERS): startup p50 (ms), and the share of their first buffer (segments loaded before playback started) that came from peers. */
  joiners?: { startupMs: number; firstBufferP2pPercent: number };
}

const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);

/** Fetches per segment, by role, and the mesh's delivery delay, over segments first seen after `since`. */
function steadyFigures(records: SegmentRecord[], since: number): Pick<ModeResult, 'fetchesPerSegment' | 'fetchesByRole' | 'meshDelaySec'> {
  const { segments, fetches, fetchesByRole, meshDelaysSec } = segmentFigures(records, since);
  const round = (n: number) => Math.round(n * 100) / 100;
  return { fetchesPerSegment: round(fetches / Math.max(1, segments)), fetchesByRole, meshDelaySec: [round(quantile(meshDelaysSec, 0.5)), round(quantile(meshDelaysSec, 0.95))] };
}

const total = (list: SwarmcastStats[], key: 'p2pBytes' | 'httpBytes') => list.reduce((sum, s) => sum + s[key], 0);

async function runMode(mode: Mode): Promise<ModeResult> {
  const stack = await startStack({ liveWindowSegments: WINDOW });
  const browser = await launchChromium();
  const viewers: Viewer[] = [];
  try {
    const options =
      mode === 'http-only'
        ? { p2p: false }
        : mode === 'uncoordinated'
          ? { trackers: [stack.trackerUrl], coordination: false }
          : { trackers: [stack.trackerUrl], policy: mode };
    const open = () => openViewer(browser, stack, { level: 0, ...(LATENCY ? { liveLatency: LATENCY } : {}), ...options });
    const startedAt = Date.now();
    for (let i = 0; i < VIEWERS; i++) {
      viewers.push(await open());
      if (i < VIEWERS - 1) await sleep(STAGGER_SEC * 1000);
    }
    const joiners: Array<{ viewer: Viewer; openedAt: number }> = [];
    const pendingJoins = [...JOINERS];
    const latencies: number[] = [];
    const sampleLatency = async () => {
      for (const s of await Promise.all(viewers.map((v) => v.stats()))) if (s.liveLatency !== null) latencies.push(s.liveLatency);
    };
    let warm: SwarmcastStats[] = [];
    let warmOrigin = 0;
    let warmAt = 0;
    for (let elapsed = 0; elapsed < DURATION_SEC; elapsed += 5) {
      await sleep(5000);
      while (pendingJoins.length > 0 && (Date.now() - startedAt) / 1000 >= pendingJoins[0]!) {
        pendingJoins.shift();
        const openedAt = Date.now();
        const viewer = await open();
        viewers.push(viewer);
        joiners.push({ viewer, openedAt });
      }
      if (elapsed + 5 === WARMUP_SEC) {
        warm = await Promise.all(viewers.map((v) => v.stats()));
        warmOrigin = await stack.liveSegmentBytes();
        warmAt = Date.now();
      }
      if (elapsed + 5 > WARMUP_SEC) await sampleLatency();
      process.stderr.write(`\r${mode}: ${elapsed + 5}/${DURATION_SEC} s   `);
    }
    process.stderr.write('\n');
    const end = await Promise.all(viewers.map((v) => v.stats()));
    const originBytes = await stack.liveSegmentBytes();
    const perViewer = await Promise.all(viewers.map(segmentRecords));
    if (RECORDS_DIR) writeFileSync(join(RECORDS_DIR, `${mode}.json`), JSON.stringify({ warmAt, viewers: perViewer }));
    const records = perViewer.flat();
    // Joiners are the last viewers opened: their stats and records are the tail of `end` and `perViewer`.
    const joinerFigures = () => {
      const offset = viewers.length - joiners.length;
      const startups = joiners.map((_, i) => end[offset + i]!.startupMs ?? Infinity);
      const first = joiners.flatMap(({ openedAt }, i) => perViewer[offset + i]!.filter((record) => record.at <= openedAt + startups[i]!));
      return {
        startupMs: Math.round(quantile([...startups].sort((x, y) => x - y), 0.5)),
        firstBufferP2pPercent: Math.round((100 * first.filter((record) => record.source === 'p2p').length) / Math.max(1, first.length)),
      };
    };
    const steadyP2p = total(end, 'p2pBytes') - total(warm, 'p2pBytes');
    const steadyHttp = total(end, 'httpBytes') - total(warm, 'httpBytes');
    return {
      mode,
      offloadPercent: offloadPercent(total(end, 'p2pBytes'), total(end, 'httpBytes')),
      steadyOffloadPercent: offloadPercent(steadyP2p, steadyHttp),
      originBytes,
      steadyOriginBytes: originBytes - warmOrigin,
      stalls: end.reduce((sum, s) => sum + s.stalls, 0),
      stalledMs: end.reduce((sum, s) => sum + s.stalledMs, 0),
      startupMs: Math.round(quantile(end.map((s) => s.startupMs ?? Infinity).sort((x, y) => x - y), 0.5)),
      latencySec: Math.round((10 * latencies.reduce((a, b) => a + b, 0)) / Math.max(1, latencies.length)) / 10,
      maxLatencySec: Math.max(0, ...latencies),
      ...steadyFigures(records, warmAt),
      ...(joiners.length > 0 ? { joiners: joinerFigures() } : {}),
    };
  } finally {
    for (const viewer of viewers) await viewer.close();
    await browser.close();
    await stack.close();
  }
}

if (!inLoopbackNamespace()) {
  if (!canUnshare()) throw new Error('the bench opens WebRTC connections: run it as root (it enters a loopback-only namespace itself) or inside `unshare --net`');
  process.exit(await rerunInLoopbackNamespace([fileURLToPath(import.meta.url)]));
}

console.log(
  `Swarmcast live bench: ${VIEWERS} viewers ${STAGGER_SEC} s apart${JOINERS.length > 0 ? ` + joiners at ${JOINERS.join(', ')} s` : ''} × ${DURATION_SEC} s (steady = after ${WARMUP_SEC} s), 240p, origin window ${WINDOW} × 2 s`,
);
const results: ModeResult[] = [];
for (const mode of MODES) results.push(await runMode(mode));
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
console.log(
  '\n| policy | offload (all / steady) | origin egress MiB (all / steady) | stalls (total s) | startup ms (p50) | latency s (avg / max) | steady fetches / segment (by role) | mesh delay s (p50 / p95) | joiners: startup ms (p50), first buffer from peers |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const roles = Object.entries(r.fetchesByRole)
    .map(([role, n]) => `${role} ${n}`)
    .join(', ');
  console.log(
    `| ${r.mode} | ${r.offloadPercent}% / ${r.steadyOffloadPercent}% | ${mib(r.originBytes)} / ${mib(r.steadyOriginBytes)} | ${r.stalls} (${(r.stalledMs / 1000).toFixed(1)}) | ${r.startupMs} | ${r.latencySec} / ${r.maxLatencySec} | ${r.fetchesPerSegment} (${roles}) | ${r.meshDelaySec.join(' / ')} | ${r.joiners ? `${r.joiners.startupMs}, ${r.joiners.firstBufferP2pPercent} %` : '—'} |`,
  );
}
console.log(JSON.stringify({ viewers: VIEWERS, staggerSec: STAGGER_SEC, joinersAtSec: JOINERS, durationSec: DURATION_SEC, warmupSec: WARMUP_SEC, windowSegments: WINDOW, results }));
