import { percentiles, sum } from '@swarmcast/loadtest/samples';
import type { LoadReport } from '@swarmcast/loadtest/tracker-load';

/** One closed-loop window against one tracker. */
export interface LoadRound {
  round: number;
  windowSec: number;
  trackerCpuSec: number;
  /** The contender's Redis, if it has one. */
  storeCpuSec: number;
  loadCpuSec: number;
  /** Machine CPU outside the bench's processes: other work, and kernel time charged to no process. */
  otherCpuSec: number;
  reports: LoadReport[];
}

export interface IdleMeasurement {
  peers: number;
  failed: number;
  firstError: string | undefined;
  connectSec: number;
  before: MemoryReading;
  after: MemoryReading;
}

/** A tracker's memory after full collections, summed over its instances. */
export interface MemoryReading {
  rssBytes: number;
  /** V8 heap in use plus external memory (Buffers). */
  heapBytes: number;
  /** Young-generation memory, part of RSS, sized by V8 after the recent allocation rate. */
  youngGenerationBytes: number;
}

export interface TrackerSummary {
  announcesPerSec: number;
  announcesPerCpuSec: number;
  /** Tracker CPU over the windows, % of one core per instance; ≥ 90 % means it was the bottleneck. */
  trackerCpuPercent: number;
  /** Its Redis, % of one core (0 without). */
  storeCpuPercent: number;
  loadCpuPercent: number;
  /** CPU spent outside the bench's processes during the windows, % of one core. */
  otherCpuPercent: number;
  offersRelayedPerSec: number;
  answersRelayedPerSec: number;
  announceLatencyMs: { p50: number; p99: number; max: number };
  relayLatencyMs: { p50: number; p99: number; max: number };
  failures: number;
  firstFailure: string | undefined;
  disconnects: number;
  rounds: Array<{ round: number; announcesPerSec: number; announcesPerCpuSec: number; trackerCpuPercent: number }>;
  idle: (IdleMeasurement & { rssPerPeerKB: number; youngGenerationPerPeerKB: number; heapPerPeerKB: number }) | undefined;
}

export const SATURATED_CPU_PERCENT = 90;
/** Above this much CPU outside the bench (% of a core), its throughput and latency are not comparable. */
export const BUSY_MACHINE_CPU_PERCENT = 25;

function latency(chunks: Float64Array[]): { p50: number; p99: number; max: number } {
  const { p50, p99, max } = percentiles(chunks.flatMap((chunk) => Array.from(chunk)));
  return { p50, p99, max };
}

export function summarize(rounds: LoadRound[], instances: number, loadProcesses: number, idle: IdleMeasurement | undefined): TrackerSummary {
  const reports = rounds.flatMap((round) => round.reports);
  const windowSec = sum(rounds.map((round) => round.windowSec));
  const announces = sum(reports.map((report) => report.announces));
  const cpuSec = sum(rounds.map((round) => round.trackerCpuSec));
  const storeCpuSec = sum(rounds.map((round) => round.storeCpuSec));
  return {
    announcesPerSec: announces / windowSec,
    announcesPerCpuSec: announces / (cpuSec + storeCpuSec),
    trackerCpuPercent: (100 * cpuSec) / windowSec / instances,
    storeCpuPercent: (100 * storeCpuSec) / windowSec,
    loadCpuPercent: (100 * sum(rounds.map((round) => round.loadCpuSec))) / windowSec / loadProcesses,
    otherCpuPercent: (100 * sum(rounds.map((round) => round.otherCpuSec))) / windowSec,
    offersRelayedPerSec: sum(reports.map((report) => report.offersRelayed)) / windowSec,
    answersRelayedPerSec: sum(reports.map((report) => report.answersRelayed)) / windowSec,
    announceLatencyMs: latency(reports.map((report) => report.announceLatencyMs)),
    relayLatencyMs: latency(reports.map((report) => report.relayLatencyMs)),
    failures: sum(reports.map((report) => report.failures)),
    firstFailure: reports.find((report) => report.firstFailure !== undefined)?.firstFailure,
    disconnects: sum(reports.map((report) => report.disconnects)),
    rounds: rounds.map((round) => {
      const roundAnnounces = sum(round.reports.map((report) => report.announces));
      return {
        round: round.round,
        announcesPerSec: roundAnnounces / round.windowSec,
        announcesPerCpuSec: roundAnnounces / (round.trackerCpuSec + round.storeCpuSec),
        trackerCpuPercent: (100 * round.trackerCpuSec) / round.windowSec / instances,
      };
    }),
    idle: idle && {
      ...idle,
      rssPerPeerKB: (idle.after.rssBytes - idle.before.rssBytes) / idle.peers / 1024,
      youngGenerationPerPeerKB: (idle.after.youngGenerationBytes - idle.before.youngGenerationBytes) / idle.peers / 1024,
      heapPerPeerKB: (idle.after.heapBytes - idle.before.heapBytes) / idle.peers / 1024,
    },
  };
}

export interface Targets {
  /** Ours ÷ reference, announces per tracker CPU-second. */
  minCpuEfficiencyRatio: number;
  /** Ours, absolute. */
  maxRssPerIdlePeerKB: number;
}

const number = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');

export function formatTable(ours: TrackerSummary, reference: TrackerSummary, targets: Targets): string {
  const rows: string[][] = [
    ['', 'announces/s', 'ann/CPU-s', 'tracker CPU', 'announce p50/p99 ms', 'relay p50/p99 ms', 'RSS/idle peer'],
  ];
  for (const [name, summary] of [['ours', ours], ['reference', reference]] as const) {
    rows.push([
      name,
      number(summary.announcesPerSec),
      number(summary.announcesPerCpuSec),
      `${number(summary.trackerCpuPercent)} %`,
      `${number(summary.announceLatencyMs.p50, 1)} / ${number(summary.announceLatencyMs.p99, 1)}`,
      `${number(summary.relayLatencyMs.p50, 1)} / ${number(summary.relayLatencyMs.p99, 1)}`,
      summary.idle ? `${number(summary.idle.rssPerPeerKB, 2)} KB` : 'n/a',
    ]);
  }
  const efficiency = ours.announcesPerCpuSec / reference.announcesPerCpuSec;
  const rss = ours.idle?.rssPerPeerKB ?? NaN;
  rows.push([
    'ours ÷ reference',
    ratio(ours.announcesPerSec / reference.announcesPerSec),
    ratio(efficiency),
    '',
    `${ratio(ours.announceLatencyMs.p50 / reference.announceLatencyMs.p50)} / ${ratio(ours.announceLatencyMs.p99 / reference.announceLatencyMs.p99)}`,
    `${ratio(ours.relayLatencyMs.p50 / reference.relayLatencyMs.p50)} / ${ratio(ours.relayLatencyMs.p99 / reference.relayLatencyMs.p99)}`,
    ratio(rss / (reference.idle?.rssPerPeerKB ?? NaN)),
  ]);
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  rows.push([
    'target',
    '',
    `≥ ${targets.minCpuEfficiencyRatio}× ${verdict(efficiency >= targets.minCpuEfficiencyRatio)}`,
    '',
    '',
    '',
    `≤ ${targets.maxRssPerIdlePeerKB} KB ${verdict(rss <= targets.maxRssPerIdlePeerKB)}`,
  ]);
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')).join('\n');
}

/** Whether the tracker was the bottleneck, what else used the machine, and what went wrong. */
export function describeRun(name: string, summary: TrackerSummary): string {
  const saturated = summary.trackerCpuPercent >= SATURATED_CPU_PERCENT;
  return `${name}: tracker ${saturated ? 'saturated' : 'NOT saturated'} at ${summary.trackerCpuPercent.toFixed(0)} % of a core per instance ` +
    (summary.storeCpuPercent > 0 ? `(Redis ${summary.storeCpuPercent.toFixed(0)} %, counted in its CPU-seconds; ` : '(') +
    `load processes ${summary.loadCpuPercent.toFixed(0)} % each, rest of the machine ${summary.otherCpuPercent.toFixed(0)} % of a core); ` +
    `relayed ${Math.round(summary.offersRelayedPerSec)} offers/s and ${Math.round(summary.answersRelayedPerSec)} answers/s; ` +
    `${summary.failures} failures, ${summary.disconnects} disconnects` +
    (summary.firstFailure ? `; first failure: ${summary.firstFailure}` : '') +
    (summary.idle
      ? `\n  idle peers: ${summary.idle.peers} (${summary.idle.failed} failed); per peer RSS ${summary.idle.rssPerPeerKB.toFixed(2)} KB, ` +
        `of which young generation ${summary.idle.youngGenerationPerPeerKB.toFixed(2)} KB; JS heap + external ${summary.idle.heapPerPeerKB.toFixed(2)} KB`
      : '') +
    (summary.otherCpuPercent > BUSY_MACHINE_CPU_PERCENT
      ? '\n  WARNING: the machine was busy with other work; announces/s and latency are unreliable, per-CPU-second figures less so'
      : '');
}
