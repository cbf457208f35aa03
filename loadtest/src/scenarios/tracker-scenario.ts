// `tracker`: thousands of WebSocket peers (load-fleet.ts: worker processes, 127.0.x.y source
// addresses) announcing with offers and answering what is relayed to them, at a viewer's cadence
// or in a closed loop, a share of them polling /coordination as players do; polled every second
// for a timeline, with the trackers' own /stats beside it.
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { trackerHttpUrl } from '@swarmcast/protocol/urls';
import { killAllChildren } from '@swarmcast/process';
import { readCpuSec } from '../proc-stats.ts';
import type { Progress } from '../progress.ts';
import { metric, type Chart, type Figure, type Metric, type ScenarioOutcome } from '../result.ts';
import type { RunBudget } from '../run-budget.ts';
import { percentiles, round, sum } from '../samples.ts';
import { PLAYER_POLL_MS } from '../tracker/coordination-poll.ts';
import { LoadFleet } from '../tracker/load-fleet.ts';
import type { LoadReport } from '../tracker/load-peer.ts';

export interface TrackerScenarioOptions {
  trackers: string[];
  peers: number;
  swarms: number;
  mode: 'cadence' | 'closed-loop';
  announceIntervalSec: number;
  offers: number;
  processes: number;
  sourceAddresses: number;
  durationSec: number;
  /** Share of the peers that also poll `GET /coordination` every PLAYER_POLL_MS (0: none). */
  coordinationShare: number;
}

/** What our tracker's /stats says, summed over instances; other trackers have none. */
type TrackerTotals = Pick<TrackerStats, 'connections' | 'peers' | 'announces' | 'offersRelayed' | 'answersRelayed' | 'rejections'>;

const CONNECT_CONCURRENCY = 200;
const MAX_CONNECT_MS = 120_000;
/** A load process above this share of a core is the bottleneck, not the tracker. */
const SATURATED_LOAD_CPU_PERCENT = 90;

/** The tracker's HTTP /stats beside its WebSocket endpoint. */
export function trackerStatsUrl(wsUrl: string): string {
  return trackerHttpUrl(wsUrl, '/stats');
}

async function readTrackerStats(urls: string[]): Promise<TrackerTotals | null> {
  try {
    const all = await Promise.all(urls.map(async (url) => {
      const response = await fetch(trackerStatsUrl(url), { signal: AbortSignal.timeout(2000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return (await response.json()) as Partial<TrackerStats>;
    }));
    const rejections: Record<string, number> = {};
    for (const stats of all) for (const [reason, n] of Object.entries(stats.rejections ?? {})) rejections[reason] = (rejections[reason] ?? 0) + n;
    const total = (key: 'connections' | 'peers' | 'announces' | 'offersRelayed' | 'answersRelayed') => sum(all.map((s) => s[key] ?? 0));
    return { connections: total('connections'), peers: total('peers'), announces: total('announces'), offersRelayed: total('offersRelayed'), answersRelayed: total('answersRelayed'), rejections };
  } catch {
    return null;
  }
}

const merge = (into: Map<string, number>, counts: Record<string, number>) => {
  for (const [key, n] of Object.entries(counts)) into.set(key, (into.get(key) ?? 0) + n);
};
const describeCounts = (counts: Map<string, number>) => [...counts].map(([key, n]) => `${key}×${n}`).join(', ') || 'none';

interface Tick {
  second: number;
  open: number;
  trackerConnections: number | null;
  announcesPerSec: number;
  offersPerSec: number;
  failures: number;
  relayP50: number;
  relayP99: number;
}

export async function runTrackerScenario(options: TrackerScenarioOptions, budget: RunBudget, progress: Progress): Promise<ScenarioOutcome> {
  const abortJoin = () => killAllChildren();
  budget.signal.addEventListener('abort', abortJoin);
  const joinStartedAt = Date.now();
  let joined: Awaited<ReturnType<typeof LoadFleet.connect>>;
  try {
    joined = await LoadFleet.connect({
      mode: 'loop',
      urls: options.trackers,
      processes: options.processes,
      peers: options.peers,
      swarms: options.swarms,
      offersPerAnnounce: options.offers,
      thinkMs: options.mode === 'cadence' ? options.announceIntervalSec * 1000 : 0,
      connectConcurrency: CONNECT_CONCURRENCY,
      connectTimeoutMs: Math.min(MAX_CONNECT_MS, budget.maxSec * 1000),
      sourceAddresses: options.sourceAddresses,
      coordination: options.coordinationShare > 0 ? { share: options.coordinationShare, everyMs: PLAYER_POLL_MS } : undefined,
      onConnecting: (connected, failed) => progress.update(0, `joining: ${connected} peers, ${failed} failed`),
    });
  } finally {
    budget.signal.removeEventListener('abort', abortJoin);
  }
  const { fleet, connected } = joined;
  const joinSec = (Date.now() - joinStartedAt) / 1000;

  const reports: LoadReport[] = [];
  const ticks: Tick[] = [];
  const failuresByReason = new Map<string, number>();
  const closesByCode = new Map<string, number>();
  let trackerStats: TrackerTotals | null = null;
  let windowSec = 0;
  let loadCpuPercent = NaN;
  try {
    // The join announces are not part of the measured window.
    await fleet.mark();
    const cpuBefore = fleet.pids.map(readCpuSec);
    const startedAt = Date.now();
    fleet.run();
    while (!budget.stopped && Date.now() - startedAt < options.durationSec * 1000) {
      await budget.pause(1000);
      const [window, stats] = await Promise.all([fleet.report(), readTrackerStats(options.trackers)]);
      trackerStats = stats ?? trackerStats;
      reports.push(...window);
      for (const report of window) {
        merge(failuresByReason, report.failuresByReason);
        merge(closesByCode, report.closesByCode);
      }
      const seconds = (window[0]?.windowMs ?? 1000) / 1000;
      const relay = percentiles(window.flatMap((report) => [...report.relayLatencyMs]));
      const tick: Tick = {
        second: round((Date.now() - startedAt) / 1000),
        open: sum(window.map((r) => r.open)),
        trackerConnections: stats?.connections ?? null,
        announcesPerSec: round(sum(window.map((r) => r.announces)) / seconds),
        offersPerSec: round(sum(window.map((r) => r.offersRelayed)) / seconds),
        failures: sum(window.map((r) => r.failures)),
        relayP50: round(relay.p50),
        relayP99: round(relay.p99),
      };
      ticks.push(tick);
      progress.update(tick.second, `${tick.open} connections, ${tick.announcesPerSec} announces/s`);
    }
    windowSec = (Date.now() - startedAt) / 1000;
    const cpuAfter = fleet.pids.map(readCpuSec);
    loadCpuPercent = Math.max(...cpuAfter.map((after, i) => (100 * (after - cpuBefore[i]!)) / windowSec));
  } finally {
    await fleet.stop();
  }

  const total = (key: 'announces' | 'offersRelayed' | 'answersRelayed' | 'failures') => sum(reports.map((r) => r[key]));
  const announceLatency = percentiles(reports.flatMap((r) => [...r.announceLatencyMs]));
  const relayLatency = percentiles(reports.flatMap((r) => [...r.relayLatencyMs]));
  const coordinationLatency = percentiles(reports.flatMap((r) => [...r.coordinationLatencyMs]));
  const coordinationFailures = new Map<string, number>();
  for (const report of reports) merge(coordinationFailures, report.coordinationFailures);
  const perSec = (n: number) => (windowSec > 0 ? round(n / windowSec) : 0);
  const last = ticks[ticks.length - 1];
  const figures: Figure[] = [
    { label: 'peers joined', value: connected.connected, meaning: `of ${options.peers} peers (${options.swarms} swarms), announce answered; ${connected.failed} could not join${connected.firstError ? ` (first: ${connected.firstError})` : ''}; took ${round(joinSec)} s` },
    { label: 'connections held', value: last?.open ?? 0, meaning: 'WebSocket connections the peers still had open at the end' },
    { label: 'tracker connections', value: trackerStats?.connections ?? 'n/a', meaning: "connections the trackers' /stats counted at the end (all instances)" },
    { label: 'announces/s', value: perSec(total('announces')), unit: 'ann/s', meaning: `announce responses received per second (${options.mode === 'cadence' ? `a viewer's cadence, every ${options.announceIntervalSec} s` : 'closed loop: capacity'}), mean over ${round(windowSec)} s` },
    { label: 'offers relayed/s', value: perSec(total('offersRelayed')), unit: '/s', meaning: 'offers the tracker delivered to peers (each answered)' },
    { label: 'answers relayed/s', value: perSec(total('answersRelayed')), unit: '/s', meaning: 'answers delivered back to the offering peers' },
    { label: 'announce p50 / p99', value: `${round(announceLatency.p50)} / ${round(announceLatency.p99)}`, unit: 'ms', meaning: 'announce sent → its response' },
    { label: 'offer→answer p50 / p99', value: `${round(relayLatency.p50)} / ${round(relayLatency.p99)}`, unit: 'ms', meaning: 'announce with offers sent → first answer back: two relays and a peer\'s turn' },
    { label: 'offer→answer max', value: round(relayLatency.max), unit: 'ms', meaning: 'slowest answer' },
    { label: 'failures', value: total('failures'), meaning: `failure reasons received: ${describeCounts(failuresByReason)}` },
    { label: 'disconnects', value: sum([...closesByCode.values()]), meaning: `joined sockets closed during the run, by close code: ${describeCounts(closesByCode)}` },
    ...(options.coordinationShare > 0
      ? [{
          label: 'coordination p50 / p99',
          value: `${round(coordinationLatency.p50)} / ${round(coordinationLatency.p99)}`,
          unit: 'ms',
          meaning: `GET /coordination sent → answered, ${coordinationLatency.count} answers from ${options.coordinationShare * 100} % of the peers polling every ${PLAYER_POLL_MS / 1000} s; ` +
            `${sum(reports.map((r) => r.coordinationNotMember))} said a joined peer was no member; without an answer: ${describeCounts(coordinationFailures)}`,
        } satisfies Figure]
      : []),
    { label: 'load CPU', value: round(loadCpuPercent, 0), unit: '%', meaning: `busiest load process's share of a core${loadCpuPercent >= SATURATED_LOAD_CPU_PERCENT ? ': SATURATED, the generator limited the figures' : ''}` },
  ];
  const metrics: Metric[] = [
    ...metric('peers_joined', connected.connected, 'count', 'peers whose first announce was answered'),
    ...metric('peers_failed_to_join', connected.failed, 'count', 'peers that could not join'),
    ...metric('connections_held', last?.open ?? 0, 'count', 'WebSocket connections the peers still had open at the end'),
    ...metric('announces_per_second', perSec(total('announces')), '1/s', 'announce responses received per second, mean'),
    ...metric('offers_relayed_per_second', perSec(total('offersRelayed')), '1/s', 'offers the tracker delivered to peers per second, mean'),
    ...metric('announce_latency_p50', announceLatency.p50 / 1000, 's', 'announce sent → its response, median'),
    ...metric('announce_latency_p99', announceLatency.p99 / 1000, 's', 'announce sent → its response, 99th percentile'),
    ...metric('relay_latency_p50', relayLatency.p50 / 1000, 's', 'announce with offers sent → first answer back, median'),
    ...metric('relay_latency_p99', relayLatency.p99 / 1000, 's', 'announce with offers sent → first answer back, 99th percentile'),
    ...metric('failures', total('failures'), 'count', 'failure reasons received'),
    ...metric('disconnects', sum([...closesByCode.values()]), 'count', 'joined sockets closed during the run'),
    ...(options.coordinationShare > 0
      ? [
          ...metric('coordination_latency_p50', coordinationLatency.p50 / 1000, 's', 'GET /coordination sent → answered, median'),
          ...metric('coordination_latency_p99', coordinationLatency.p99 / 1000, 's', 'GET /coordination sent → answered, 99th percentile'),
        ]
      : []),
    ...metric('load_cpu', loadCpuPercent / 100, 'ratio', "the busiest load process's share of a core (near 1: the generator limited the figures)"),
  ];
  const points = (value: (tick: Tick) => number | null) => ticks.map((tick) => [tick.second, value(tick) ?? NaN] as [number, number]);
  const charts: Chart[] = [
    { title: 'Connections held', unit: 'connections', kind: 'line', series: [{ name: 'open at the peers', points: points((t) => t.open) }, { name: "trackers' /stats", points: points((t) => t.trackerConnections) }] },
    { title: 'Announces and offers relayed per second', unit: 'per s', kind: 'line', series: [{ name: 'announces', points: points((t) => t.announcesPerSec) }, { name: 'offers relayed', points: points((t) => t.offersPerSec) }] },
    { title: 'Offer → answer latency', unit: 'ms', kind: 'line', series: [{ name: 'p50', points: points((t) => t.relayP50) }, { name: 'p99', points: points((t) => t.relayP99) }] },
    { title: 'Failures per second', unit: 'failures', kind: 'line', series: [{ name: 'failure reasons', points: points((t) => t.failures) }] },
  ];
  return {
    metrics,
    figures,
    charts,
    details: {
      join: { ...connected, seconds: round(joinSec) },
      windowSec: round(windowSec),
      announceLatencyMs: announceLatency,
      relayLatencyMs: relayLatency,
      coordinationLatencyMs: coordinationLatency,
      coordinationFailures: Object.fromEntries(coordinationFailures),
      failuresByReason: Object.fromEntries(failuresByReason),
      closesByCode: Object.fromEntries(closesByCode),
      trackerStats,
      loadCpuPercent: round(loadCpuPercent),
      timeline: ticks,
    },
  };
}
