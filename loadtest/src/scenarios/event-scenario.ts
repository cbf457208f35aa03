// `event`: V virtual viewers of one live stream, each a real p2p-media-loader-core with real
// WebRTC in its own process (viewer/p2pml-viewer.ts, live mode), ramped in, for a fixed time. The
// origin's egress comes from its /stats (reset at the start); the HTTP-only baseline is computed:
// the bytes of every segment each viewer played, plus the playlists, which P2P does not change.
import { performance } from 'node:perf_hooks';
import { defaultOptions as playerDefaults } from '../../../player-sdk/src/options.ts';
import type { PolicyName } from '../../../player-sdk/src/options.ts';
import { fetchText, parseMasterPlaylist } from '../hls-playlists.ts';
import type { Progress } from '../progress.ts';
import type { Chart, Figure, ScenarioOutcome } from '../result.ts';
import type { RunBudget } from '../run-budget.ts';
import { percentiles, round, sum } from '../samples.ts';
import type { LiveStats } from '../viewer/live-playback.ts';
import type { PeerEvent } from '../viewer/p2pml-viewer.ts';
import { startPeer, type PeerProcess } from '../viewer/viewer-process.ts';

export interface EventScenarioOptions {
  origin: string;
  trackers: string[];
  stream: string;
  rendition?: string;
  viewers: number;
  durationSec: number;
  rampSec: number;
  liveLatency: number;
  httpFallbackBuffer: number;
  policy: PolicyName;
  p2p: boolean;
}

/** Egress of one stream in the origin's /stats (see origin/src/egress.ts). */
interface StreamEgress {
  bytes: number;
  kinds: Partial<Record<'segment' | 'playlist' | 'manifest', { bytes: number; requests: number }>>;
}

const VIEWER_START_TIMEOUT_MS = 30_000;
const FINAL_STATS_TIMEOUT_MS = 5_000;
const MB = 1e6;

type LiveStatsEvent = Extract<PeerEvent, { event: 'live-stats' }>;
const isLiveStats = (event: PeerEvent): event is LiveStatsEvent => event.event === 'live-stats';

function latestStats(viewer: PeerProcess): LiveStats | undefined {
  for (let i = viewer.events.length - 1; i >= 0; i--) {
    const event = viewer.events[i]!;
    if (isLiveStats(event)) return event;
  }
  return undefined;
}

/** Asks for a report now rather than taking the last periodic one. */
async function finalStats(viewer: PeerProcess): Promise<LiveStats | undefined> {
  const seen = viewer.events.length;
  viewer.send({ cmd: 'stats' });
  return viewer.waitFor((event): event is LiveStatsEvent => isLiveStats(event) && viewer.events.length > seen, FINAL_STATS_TIMEOUT_MS)
    .catch(() => latestStats(viewer));
}

async function readEgress(origin: string, stream: string): Promise<StreamEgress> {
  const response = await fetch(new URL('/stats', origin), { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET ${origin}/stats: HTTP ${response.status}`);
  const stats = (await response.json()) as { streams?: Record<string, StreamEgress> };
  return stats.streams?.[`live/${stream}`] ?? { bytes: 0, kinds: {} };
}

const offload = (stats: Pick<LiveStats, 'httpBytes' | 'p2pBytes'>) =>
  stats.httpBytes + stats.p2pBytes === 0 ? 0 : (100 * stats.p2pBytes) / (stats.httpBytes + stats.p2pBytes);

interface Tick {
  second: number;
  viewers: number;
  originSegmentBytes: number;
  consumedBytes: number;
  httpBytes: number;
  p2pBytes: number;
  peers: number;
  lateSegments: number;
}

export async function runEventScenario(options: EventScenarioOptions, budget: RunBudget, progress: Progress): Promise<ScenarioOutcome> {
  const masterUrl = new URL(`/live/${options.stream}/master.m3u8`, options.origin).href;
  const variants = parseMasterPlaylist(await fetchText(masterUrl, budget.signal), masterUrl);
  const streamIndex = options.rendition === undefined ? 0 : variants.findIndex((v) => v.name === options.rendition);
  const variant = variants[streamIndex];
  if (variant === undefined) throw new Error(`--rendition ${options.rendition}: ${masterUrl} has ${variants.map((v) => v.name).join(', ')}`);

  const reset = await fetch(new URL('/stats/reset', options.origin), { method: 'POST', signal: budget.signal });
  if (!reset.ok) throw new Error(`POST ${options.origin}/stats/reset: HTTP ${reset.status}`);

  const viewers: PeerProcess[] = [];
  const failedToStart: string[] = [];
  const starting: Promise<void>[] = [];
  const ticks: Tick[] = [];
  const startedAt = performance.now();
  const elapsedSec = () => (performance.now() - startedAt) / 1000;
  const startViewer = (n: number) => {
    starting.push(startPeer(`viewer-${n}`, {
      trackers: options.trackers,
      manifestUrl: masterUrl,
      live: {
        playlistUrl: variant.url,
        streamIndex,
        liveLatency: options.liveLatency,
        httpFallbackBuffer: options.httpFallbackBuffer,
        policy: options.policy,
        statsIntervalMs: playerDefaults.statsIntervalMs,
      },
      ...(options.p2p ? {} : { core: { isP2PDisabled: true } }),
    }, VIEWER_START_TIMEOUT_MS).then(
      (viewer) => {
        if (budget.stopped) void viewer.close();
        else viewers.push(viewer);
      },
      (error: unknown) => {
        failedToStart.push(`viewer-${n}: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`);
      },
    ));
  };

  let finals: LiveStats[] = [];
  let egress: StreamEgress = { bytes: 0, kinds: {} };
  try {
    let next = 0;
    while (!budget.stopped && elapsedSec() < options.durationSec) {
      // Viewer n joins at n × ramp / V seconds.
      while (next < options.viewers && elapsedSec() >= (next * options.rampSec) / options.viewers) startViewer(next++);
      await budget.pause(1000);
      const stats = viewers.map(latestStats).filter((s): s is LiveStats => s !== undefined);
      egress = await readEgress(options.origin, options.stream).catch(() => egress);
      const tick: Tick = {
        second: round(elapsedSec()),
        viewers: viewers.length,
        originSegmentBytes: egress.kinds.segment?.bytes ?? 0,
        consumedBytes: sum(stats.map((s) => s.segmentBytes)),
        httpBytes: sum(stats.map((s) => s.httpBytes)),
        p2pBytes: sum(stats.map((s) => s.p2pBytes)),
        peers: sum(stats.map((s) => s.peers)),
        lateSegments: sum(stats.map((s) => s.lateSegments)),
      };
      ticks.push(tick);
      progress.update(tick.second, `${tick.viewers}/${options.viewers} viewers, offload ${round(offload(tick), 0)} %, ${tick.lateSegments} late`);
    }
    await Promise.all(starting);
    finals = (await Promise.all(viewers.map(finalStats))).map((s) => s ?? ({} as LiveStats));
  } finally {
    await Promise.all(viewers.map((viewer) => viewer.close()));
  }
  // After every viewer has gone, so that segments still in flight are counted.
  egress = await readEgress(options.origin, options.stream).catch(() => egress);

  const windowSec = elapsedSec();
  const totals = {
    httpBytes: sum(finals.map((s) => s.httpBytes ?? 0)),
    p2pBytes: sum(finals.map((s) => s.p2pBytes ?? 0)),
    uploadedBytes: sum(finals.map((s) => s.uploadedBytes ?? 0)),
    segmentBytes: sum(finals.map((s) => s.segmentBytes ?? 0)),
    lateSegments: sum(finals.map((s) => s.lateSegments ?? 0)),
    stallSec: sum(finals.map((s) => s.stallSec ?? 0)),
    segmentsLoaded: sum(finals.map((s) => s.segmentsLoaded ?? 0)),
    segmentsFromPeers: sum(finals.map((s) => s.segmentsFromPeers ?? 0)),
    peerConnections: sum(finals.map((s) => s.peerConnections ?? 0)),
  };
  const playlistBytes = (egress.kinds.playlist?.bytes ?? 0) + (egress.kinds.manifest?.bytes ?? 0);
  const baselineBytes = totals.segmentBytes + playlistBytes;
  const perViewerOffload = finals.map(offload);
  const spread = percentiles(perViewerOffload);
  const latency = percentiles(finals.map((s) => s.latencySec).filter((l): l is number => typeof l === 'number'));
  const mb = (bytes: number) => round(bytes / MB, 2);

  const figures: Figure[] = [
    { label: 'viewers', value: viewers.length, meaning: `virtual viewers that played (of ${options.viewers}; ${failedToStart.length} failed to start), ${variant.name}, joined over ${options.rampSec} s, policy ${options.p2p ? options.policy : 'HTTP only (--no-p2p)'}` },
    { label: 'offload', value: round(offload(totals)), unit: '%', meaning: 'segment bytes the viewers got from peers, of all segment bytes they downloaded' },
    { label: 'offload per viewer', value: `${round(spread.min, 0)} / ${round(spread.p50, 0)} / ${round(spread.max, 0)}`, unit: '%', meaning: 'min / median / max over the viewers' },
    { label: 'origin egress', value: mb(egress.bytes), unit: 'MB', meaning: `bytes the origin sent for live/${options.stream} (its /stats, reset at the start): segments ${mb(egress.kinds.segment?.bytes ?? 0)} MB, playlists ${mb(playlistBytes)} MB` },
    { label: 'HTTP-only baseline', value: mb(baselineBytes), unit: 'MB', meaning: 'computed: bytes of every segment each viewer played plus the playlists — what the origin would have sent without P2P' },
    { label: 'egress saved', value: baselineBytes > 0 ? round(100 * (1 - egress.bytes / baselineBytes)) : 0, unit: '%', meaning: '1 − origin egress ÷ baseline (negative: P2P cost the origin more than it saved)' },
    { label: 'peer connections', value: totals.peerConnections, meaning: `WebRTC connections the viewers opened (each counted at both ends); ${round(sum(finals.map((s) => s.peers ?? 0)) / Math.max(1, finals.length), 1)} per viewer open at the end` },
    { label: 'segments', value: totals.segmentsLoaded, meaning: `segments the viewers loaded, ${totals.segmentsFromPeers} of them from peers` },
    { label: 'late segments', value: totals.lateSegments, meaning: 'segments not loaded when the playhead reached them (each a stall)' },
    { label: 'stall time', value: round(totals.stallSec), unit: 's', meaning: `total over the viewers; ${round((100 * totals.stallSec) / Math.max(1, viewers.length * windowSec), 2)} % of viewing time` },
    { label: 'live latency p50', value: round(latency.p50), unit: 's', meaning: `live edge − playhead at the end (target ${options.liveLatency} s)` },
    { label: 'uploaded', value: mb(totals.uploadedBytes), unit: 'MB', meaning: 'bytes the viewers sent to each other' },
  ];
  // Rates from successive cumulative readings.
  const rate = (value: (t: Tick) => number) => ticks.map((t, i) => {
    const previous = ticks[i - 1];
    const seconds = previous ? t.second - previous.second : t.second;
    return [t.second, round((value(t) - (previous ? value(previous) : 0)) / Math.max(seconds, 0.001) / MB, 3)] as [number, number];
  });
  const charts: Chart[] = [
    { title: 'Origin segment egress vs HTTP-only', unit: 'MB/s', kind: 'line', series: [{ name: 'origin (measured)', points: rate((t) => t.originSegmentBytes) }, { name: 'HTTP-only (viewers\' consumption)', points: rate((t) => t.consumedBytes) }] },
    { title: 'Offload (cumulative)', unit: '%', kind: 'line', series: [{ name: 'from peers', points: ticks.map((t) => [t.second, round(offload(t))]) }] },
    { title: 'Viewers and connected peers', unit: 'count', kind: 'line', series: [{ name: 'viewers', points: ticks.map((t) => [t.second, t.viewers]) }, { name: 'peer connections open (both ends)', points: ticks.map((t) => [t.second, t.peers]) }, { name: 'late segments (cumulative)', points: ticks.map((t) => [t.second, t.lateSegments]) }] },
    { title: 'Offload per viewer', unit: '%', kind: 'bar', labels: finals.map((_, i) => `${i + 1}`), series: [{ name: 'offload', points: perViewerOffload.map((o, i) => [i, round(o)]) }] },
    { title: 'Late segments per viewer', unit: 'segments', kind: 'bar', labels: finals.map((_, i) => `${i + 1}`), series: [{ name: 'late segments', points: finals.map((s, i) => [i, s.lateSegments ?? 0]) }] },
  ];
  return {
    figures,
    charts,
    details: {
      masterUrl,
      rendition: variant.name,
      baseline: 'computed: segment bytes every viewer played + playlist bytes measured at the origin',
      originEgress: egress,
      totals,
      failedToStart,
      viewers: finals.map((s, i) => ({ viewer: i + 1, offloadPercent: round(perViewerOffload[i] ?? 0), ...s })),
      timeline: ticks,
    },
  };
}
