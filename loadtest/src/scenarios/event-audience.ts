// One audience pass of the event scenario: viewers join over the ramp, churn replaces some of
// them, each plays its rendition for real (its own process, and with a network profile its own
// namespace and shaped link), and everything they and the origin report is recorded.
import { performance } from 'node:perf_hooks';
import type { OriginStats } from '@swarmcast/protocol/stats';
import { defaultOptions as playerDefaults, type PolicyName } from '@swarmcast/player-sdk/policy';
import type { Variant } from '../master-playlist.ts';
import { drawLink, UNLIMITED_KBIT, type LinkShape, type NetworkName } from '../network/profiles.ts';
import type { TestHost, TestNetwork } from '../network/test-hosts.ts';
import type { Progress } from '../progress.ts';
import type { RunBudget } from '../run-budget.ts';
import { round, sum } from '../samples.ts';
import type { LiveStats } from '../viewer/live-playback.ts';
import type { BrowserFleet } from '../viewer/browser-viewer.ts';
import { isLiveStats, type LiveStatsEvent, type ViewerEvents } from '../viewer/viewer-events.ts';
import { startPeer } from '../viewer/viewer-process.ts';
import { offloadPercent, type ViewerKind, type ViewerRecord } from './event-analysis.ts';

/** Who watches: the same audience (renditions, links, reachability) in every pass of a run. */
export interface AudiencePlan {
  /** Viewer n (0-based; churn's newcomers continue the count). */
  member(n: number): AudienceMember;
}

export interface AudienceMember {
  name: string;
  variant: Variant;
  /** The variant's index in the master playlist (a browser's player plays that level). */
  streamIndex: number;
  link: LinkShape | null;
  unreachable: boolean;
  /** Plays from peers and uploads nothing, as the player does on a cellular connection. */
  cellular: boolean;
  /** A virtual viewer, or a real Chromium page running the player SDK. */
  kind: ViewerKind;
}

export interface AudienceOptions {
  network: NetworkName;
  /** Overrides the profile's draw for every viewer, in kbit/s. */
  uplinkKbit?: number;
  downlinkKbit?: number;
  /** Share of viewers that can make no WebRTC connection. */
  unreachable: number;
  /** Share of viewers on cellular connections (they never upload). */
  cellular: number;
  /** Viewers of the audience (of `viewers`) that are real browsers. */
  browsers: number;
  viewers: number;
  /** Seed of the draws, so that two passes (and two runs) meet the same audience. */
  seed: number;
}

/** A small seeded PRNG (mulberry32): draws must repeat across passes, Math.random's do not. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Renditions go round-robin over the chosen ones; unreachable viewers are spread evenly (viewer n
 * is unreachable when ⌊(n+1)·f⌋ > ⌊n·f⌋), so any prefix of the audience holds its share of them;
 * cellular viewers likewise, counted from half a step on so the two shares fall on different viewers;
 * browsers (`browsers` of the first `viewers`, exactly) from a quarter step on, apart from both.
 */
export function planAudience(renditions: Array<{ variant: Variant; streamIndex: number }>, options: AudienceOptions): AudiencePlan {
  return {
    member(n) {
      const random = seededRandom(options.seed * 1_000_003 + n);
      const drawn = drawLink(options.network, random);
      const link = drawn === null && options.uplinkKbit === undefined && options.downlinkKbit === undefined
        ? null
        : { uplinkKbit: options.uplinkKbit ?? drawn?.uplinkKbit ?? UNLIMITED_KBIT, downlinkKbit: options.downlinkKbit ?? drawn?.downlinkKbit ?? UNLIMITED_KBIT };
      const { variant, streamIndex } = renditions[n % renditions.length]!;
      return {
        name: `viewer-${n + 1}`,
        variant,
        streamIndex,
        link,
        unreachable: spreadEvenly(n, options.unreachable, 0),
        cellular: spreadEvenly(n, options.cellular, 0.5),
        kind: spreadEvenly(n, options.browsers / options.viewers, 0.25) ? 'browser' : 'virtual',
      };
    },
  };
}

/** Whether viewer n is one of a share spread evenly over the audience, counted from `phase`. */
const spreadEvenly = (n: number, share: number, phase: number) => Math.floor((n + 1) * share + phase) > Math.floor(n * share + phase);

/** Where a pass's origin counts come from: the origin's /stats, or (any other origin) the viewers' own reports. */
export type EgressSource = 'origin-stats' | 'viewer-reports';

export interface PassOptions {
  origin: string;
  egressFrom: EgressSource;
  /** URLs as the viewers use them (the test network's gateway when they have their own hosts). */
  viewerUrl: (url: string) => string;
  trackers: string[];
  stream: string;
  masterUrl: string;
  viewers: number;
  durationSec: number;
  rampSec: number;
  /** Viewers per minute that leave (killed, no goodbye) and as many that join, after the ramp. */
  churnPerMinute: number;
  liveLatency: number;
  httpFallbackBuffer: number;
  policy: PolicyName;
  /** Follow the tracker's seeding coordination (peer-first only). */
  coordination: boolean;
  p2p: boolean;
  /** Present when each viewer gets a host of its own. */
  network: TestNetwork | null;
  /** Where browser viewers run and the page they open (its URL on this machine); null without browsers. */
  pages: { fleet: BrowserFleet; url: string } | null;
  /** This process runs viewer n of the audience when n % count == index (and churn event k when k % count == index). */
  shard: Shard;
  /** Wall-clock ms at which the pass starts (the shards' agreed start); null: at once. */
  startAtMs: number | null;
}

/** One of `count` load generators sharing one audience (0-based `index`). */
export interface Shard {
  index: number;
  count: number;
}

export const WHOLE_AUDIENCE: Shard = { index: 0, count: 1 };

/** Viewers of an audience of `viewers` that shard runs at the start (newcomers come on top). */
export function shareOf(viewers: number, shard: Shard): number {
  return Math.floor(viewers / shard.count) + (shard.index < viewers % shard.count ? 1 : 0);
}

/** What a pass compares of one stream's egress: the bytes and requests of the origin's /stats (`OriginStats`). */
export interface StreamEgress {
  bytes: number;
  kinds: Partial<Record<'segment' | 'playlist' | 'manifest', { bytes: number; requests: number }>>;
  renditions: Record<string, { bytes: number; kinds: Partial<Record<'segment' | 'playlist', { bytes: number; requests: number }>> }>;
}

export interface Tick {
  second: number;
  viewers: number;
  originSegmentBytes: number;
  originSegmentRequests: number;
  consumedBytes: number;
  httpBytes: number;
  p2pBytes: number;
  peers: number;
  lateSegments: number;
}

export interface PassResult {
  records: ViewerRecord[];
  egress: StreamEgress;
  ticks: Tick[];
  failedToStart: string[];
  left: number;
  egressFrom: EgressSource;
  /** Viewers this pass started: its share of the audience, then churn's newcomers. */
  joined: number;
  newcomers: number;
  windowSec: number;
}

const VIEWER_START_TIMEOUT_MS = 30_000;
const FINAL_STATS_TIMEOUT_MS = 5_000;
const EMPTY_EGRESS: StreamEgress = { bytes: 0, kinds: {}, renditions: {} };

/** Asks for a report now rather than taking the last periodic one. */
async function finalStats(viewer: ViewerEvents): Promise<LiveStatsEvent | undefined> {
  const seen = viewer.events.length;
  viewer.send({ cmd: 'stats' });
  return viewer.waitFor((event): event is LiveStatsEvent => isLiveStats(event) && viewer.events.length > seen, FINAL_STATS_TIMEOUT_MS)
    .catch(() => viewer.latestStats());
}

export async function readEgress(origin: string, stream: string, signal?: AbortSignal): Promise<StreamEgress> {
  const response = await fetch(new URL('/stats', origin), { signal: signal ?? AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET ${origin}/stats: HTTP ${response.status}`);
  const stats = (await response.json()) as OriginStats;
  return stats.streams[`live/${stream}`] ?? EMPTY_EGRESS;
}

/**
 * Whether `origin` is ours and counts `live/<stream>` in its /stats; any other origin (a CDN, a
 * packager) is counted by what the viewers report of their own requests.
 */
export async function egressSourceOf(origin: string, stream: string, signal: AbortSignal): Promise<EgressSource> {
  // An answer decides at once; no answer is tried again, since a loaded origin (or load generator)
  // may be slow to answer, and a shard that counted otherwise than the others would be wrong.
  let failure: unknown;
  for (let attempt = 0; attempt < STATS_PROBES && !signal.aborted; attempt++) {
    try {
      const response = await fetch(new URL('/stats', origin), { signal: AbortSignal.any([signal, AbortSignal.timeout(STATS_PROBE_TIMEOUT_MS)]) });
      const stats = (response.ok ? await response.json().catch(() => null) : null) as Partial<OriginStats> | null;
      return stats?.streams && typeof stats.streams === 'object' && `live/${stream}` in stats.streams ? 'origin-stats' : 'viewer-reports';
    } catch (error) {
      failure = error;
    }
  }
  process.stderr.write(`${origin}/stats answered none of ${STATS_PROBES} tries (${failure instanceof Error ? failure.message : String(failure)}): counting origin fetches from the viewers' reports\n`);
  return 'viewer-reports';
}

const STATS_PROBES = 3;
const STATS_PROBE_TIMEOUT_MS = 10_000;

/** The egress as the viewers report it: each origin request they sent (segments only) and the bytes they took over HTTP. */
export function egressFromViewers(records: ViewerRecord[]): StreamEgress {
  const renditions: StreamEgress['renditions'] = {};
  for (const record of records) {
    const rendition = (renditions[record.rendition] ??= { bytes: 0, kinds: { segment: { bytes: 0, requests: 0 } } });
    rendition.bytes += record.stats?.httpBytes ?? 0;
    rendition.kinds.segment!.bytes += record.stats?.httpBytes ?? 0;
    rendition.kinds.segment!.requests += record.fetches.length;
  }
  const all = Object.values(renditions);
  const bytes = sum(all.map((r) => r.bytes));
  return { bytes, kinds: { segment: { bytes, requests: sum(all.map((r) => r.kinds.segment!.requests)) } }, renditions };
}

type Counts = { bytes: number; requests: number };
const minus = (end: Counts | undefined, start: Counts | undefined): Counts => ({ bytes: (end?.bytes ?? 0) - (start?.bytes ?? 0), requests: (end?.requests ?? 0) - (start?.requests ?? 0) });
function kindsSince<K extends string>(end: Partial<Record<K, Counts>>, start: Partial<Record<K, Counts>> | undefined): Partial<Record<K, Counts>> {
  return Object.fromEntries(Object.entries(end).map(([kind, counts]) => [kind, minus(counts as Counts, start?.[kind as K])])) as Partial<Record<K, Counts>>;
}

/**
 * What the origin sent between two readings of its /stats. Its counters only grow (resetting
 * them is an admin action), so a pass measures from a baseline reading rather than a reset.
 */
export function egressSince(start: StreamEgress, end: StreamEgress): StreamEgress {
  return {
    bytes: end.bytes - start.bytes,
    kinds: kindsSince(end.kinds, start.kinds),
    renditions: Object.fromEntries(Object.entries(end.renditions).map(([name, rendition]) => [name, {
      bytes: rendition.bytes - (start.renditions[name]?.bytes ?? 0),
      kinds: kindsSince(rendition.kinds, start.renditions[name]?.kinds),
    }])),
  };
}

/** A report into the record: the stats, and a browser's `player.stats()` they were made from. */
function keepStats(record: ViewerRecord, report: LiveStatsEvent | undefined): void {
  if (report === undefined) return;
  const { player, ...stats } = report;
  record.stats = stats;
  if (player) record.playerStats = player;
}

/**
 * Starts member's viewer: a virtual viewer's process, or a browser's page, playing its rendition
 * with the same options either way. `attachNetwork` gives it a host of its own before it starts.
 */
async function startViewer(options: PassOptions, member: AudienceMember, attachNetwork: ((pid: number) => Promise<void>) | undefined): Promise<ViewerEvents> {
  if (member.kind === 'browser') {
    if (options.pages === null) throw new Error(`${member.name} is a browser, and the pass has no browsers`);
    return options.pages.fleet.open(member.name, options.viewerUrl(options.pages.url), {
      src: options.viewerUrl(options.masterUrl),
      trackers: options.trackers.map(options.viewerUrl),
      level: member.streamIndex,
      liveLatency: options.liveLatency,
      httpFallbackBuffer: options.httpFallbackBuffer,
      policy: options.policy,
      coordination: options.coordination,
      p2p: options.p2p,
      upload: !member.cellular,
      rtcConfig: { iceServers: [] },
      statsIntervalMs: playerDefaults.statsIntervalMs,
    }, attachNetwork);
  }
  return startPeer(member.name, {
    trackers: options.trackers.map(options.viewerUrl),
    manifestUrl: options.viewerUrl(options.masterUrl),
    live: {
      playlistUrl: options.viewerUrl(member.variant.url),
      level: member.variant.level,
      liveLatency: options.liveLatency,
      httpFallbackBuffer: options.httpFallbackBuffer,
      policy: options.policy,
      coordination: options.coordination,
      statsIntervalMs: playerDefaults.statsIntervalMs,
    },
    ...(options.p2p ? (member.cellular ? { core: { isP2PUploadDisabled: true } } : {}) : { core: { isP2PDisabled: true } }),
  }, { timeoutMs: VIEWER_START_TIMEOUT_MS, ...(attachNetwork ? { attachNetwork } : {}) });
}

interface Watching {
  member: AudienceMember;
  process: ViewerEvents;
  host: TestHost | null;
  record: ViewerRecord;
  /** How many of the process's events were copied into the record. */
  eventsRead: number;
}

export async function runAudiencePass(options: PassOptions, plan: AudiencePlan, budget: RunBudget, progress: Progress, label: string): Promise<PassResult> {
  const { shard } = options;
  const mine = (n: number) => n % shard.count === shard.index;
  const share = shareOf(options.viewers, shard);
  const fromStats = options.egressFrom === 'origin-stats';
  // Read before the agreed start, so that no shard's first request comes before another's baseline.
  const baseline = fromStats ? await readEgress(options.origin, options.stream, budget.signal) : EMPTY_EGRESS;
  if (options.startAtMs !== null) await budget.pause(Math.max(0, options.startAtMs - Date.now()));
  const readSinceStart = async () => (fromStats ? egressSince(baseline, await readEgress(options.origin, options.stream)) : egressFromViewers(records));
  const startedAt = performance.now();
  const startedAtMs = Date.now();
  const elapsedSec = () => (performance.now() - startedAt) / 1000;
  const watching = new Set<Watching>();
  const records: ViewerRecord[] = [];
  const failedToStart: string[] = [];
  const starting: Promise<void>[] = [];
  const ticks: Tick[] = [];
  let left = 0;

  const join = (n: number) => {
    const member = plan.member(n);
    const record: ViewerRecord = { name: member.name, rendition: member.variant.name, kind: member.kind, link: member.link, unreachable: member.unreachable, cellular: member.cellular, joinedAtSec: round(elapsedSec(), 2), leftAtSec: null, stats: undefined, playerStats: null, fetches: [], uplink: [], burstBytes: 0 };
    let host: TestHost | null = null;
    const network = options.network;
    const attachNetwork = network
      ? async (pid: number) => {
          host = await network.attach(pid, { shape: member.link, unreachable: member.unreachable });
          record.burstBytes = host.burstBytes;
        }
      : undefined;
    starting.push(startViewer(options, member, attachNetwork).then(
      (process) => {
        if (budget.stopped) {
          void process.close();
          return;
        }
        watching.add({ member, process, host, record, eventsRead: 0 });
        records.push(record);
      },
      (error: unknown) => {
        failedToStart.push(`${member.name}: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`);
      },
    ));
  };
  // Fetch reports arrive as events; copied into the record as they come, so a killed viewer keeps what it said.
  const drain = (viewer: Watching) => {
    const { events } = viewer.process;
    for (; viewer.eventsRead < events.length; viewer.eventsRead++) {
      const event = events[viewer.eventsRead]!;
      if (event.event === 'origin-fetch') viewer.record.fetches.push({ sequence: event.sequence, reason: event.reason, atSec: round((event.atMs - startedAtMs) / 1000, 2) });
    }
  };

  const sample = async () => {
    await Promise.all([...watching].map(async (viewer) => {
      drain(viewer);
      keepStats(viewer.record, viewer.process.latestStats());
      if (viewer.host) {
        const readStartSec = elapsedSec();
        const { uplinkBytes } = await viewer.host.counters();
        viewer.record.uplink.push({ readStartSec, atSec: elapsedSec(), uplinkBytes });
      }
    }));
  };

  const leave = async (viewer: Watching) => {
    watching.delete(viewer);
    await viewer.process.kill();
    drain(viewer);
    keepStats(viewer.record, viewer.process.latestStats());
    viewer.record.leftAtSec = round(elapsedSec(), 2);
    left++;
  };

  let egress = EMPTY_EGRESS;
  // The whole audience's schedule, of which this shard runs its own part.
  let next = 0;
  let churnEvents = 0;
  let joined = 0;
  let newcomers = 0;
  const churnEverySec = options.churnPerMinute > 0 ? 60 / options.churnPerMinute : Infinity;
  let nextChurnAt = options.rampSec + churnEverySec;
  try {
    while (!budget.stopped && elapsedSec() < options.durationSec) {
      // Viewer n joins at n × ramp / V seconds.
      for (; next < options.viewers && elapsedSec() >= (next * options.rampSec) / options.viewers; next++) {
        if (!mine(next)) continue;
        join(next);
        joined++;
      }
      // Churn event k: a viewer of the shard that owns it leaves, and newcomer V + k joins there.
      for (; elapsedSec() >= nextChurnAt; nextChurnAt += churnEverySec, churnEvents++) {
        if (!mine(churnEvents)) continue;
        const alive = [...watching];
        const leaving = alive[Math.floor(Math.random() * alive.length)];
        if (leaving) await leave(leaving);
        join(options.viewers + churnEvents);
        joined++;
        newcomers++;
      }
      await budget.pause(1000);
      await sample();
      egress = await readSinceStart().catch(() => egress);
      const stats = [...watching].map((v) => v.record.stats).filter((s): s is LiveStats => s !== undefined);
      const tick: Tick = {
        second: round(elapsedSec()),
        viewers: watching.size,
        originSegmentBytes: egress.kinds.segment?.bytes ?? 0,
        originSegmentRequests: egress.kinds.segment?.requests ?? 0,
        consumedBytes: sum(stats.map((s) => s.segmentBytes)),
        httpBytes: sum(stats.map((s) => s.httpBytes)),
        p2pBytes: sum(stats.map((s) => s.p2pBytes)),
        peers: sum(stats.map((s) => s.peers)),
        lateSegments: sum(stats.map((s) => s.lateSegments)),
      };
      ticks.push(tick);
      progress.update(tick.second, `${label}: ${tick.viewers}/${share} viewers, offload ${round(offloadPercent(tick), 0)} %, ${tick.lateSegments} late`);
    }
    await Promise.all(starting);
    await sample();
    await Promise.all([...watching].map(async (viewer) => {
      keepStats(viewer.record, await finalStats(viewer.process));
      drain(viewer);
    }));
  } finally {
    await Promise.all([...watching].map((viewer) => viewer.process.close()));
  }
  // After every viewer has gone, so that segments still in flight are counted.
  egress = await readSinceStart().catch(() => egress);
  return { records, egress, egressFrom: options.egressFrom, ticks, failedToStart, left, joined, newcomers, windowSec: elapsedSec() };
}
