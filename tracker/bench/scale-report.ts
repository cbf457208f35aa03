// The scale bench's tables (markdown) and the ratios of its largest stream to its smallest.
import type { Latency, ScaleResult } from './scale-run.ts';

/** The largest stream's per-announce CPU and coordination p99 may be at most this many times the smallest's. */
export const MAX_GROWTH = 1.5;

const number = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
const ms = (value: Latency) => `${number(value.p50, 1)} / ${number(value.p99, 1)}`;
const mib = (bytes: number) => number(bytes / 2 ** 20, 1);
const counts = (tally: Record<string, number>) => Object.entries(tally).map(([key, n]) => `${key}×${n}`).join(', ');
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
const table = (header: string[], rows: string[][]) => [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');

const label = (result: ScaleResult) => `${result.store === 'cluster' ? 'Cluster' : 'memory'}, ${number(result.peers)}`;

/**
 * Tracker CPU-seconds per 1,000 announces, as measured and net of what the instances spent idle.
 * The net figure means something only when the load's own CPU is at least as large as the idle's,
 * whose reading varies by about its own size from one start to the next.
 */
export function cpuPer1000(result: ScaleResult): { gross: number; net: number; netMeasurable: boolean } {
  const idleCpuSec = (result.idleCpuPercent / 100) * result.windowSec;
  return {
    gross: (1000 * result.trackerCpuSec) / result.announces,
    net: (1000 * (result.trackerCpuSec - idleCpuSec)) / result.announces,
    netMeasurable: result.trackerCpuSec >= 2 * idleCpuSec,
  };
}

/** Refusals of any kind: joins that failed, failure frames in the window, and every rejection the trackers counted. */
export function refusals(result: ScaleResult): number {
  const total = (tally: Record<string, number>) => Object.values(tally).reduce((a, b) => a + b, 0);
  return result.joinFailures + total(result.windowFailures) + total(result.trackerRejections);
}

export function formatSizes(results: Array<ScaleResult & { wallSec: number }>): string {
  return table(
    ['store, peers', 'instances × load processes', 'joined (s)', 'refusals', 'cells', 'RSS / peer KB (without young gen.)', 'announces/s', 'tracker CPU-s / 1k ann (net of idle)', 'Redis CPU-s / 1k ann', 'announce p50 / p99 ms', 'coordination p50 / p99 ms (answers)', 'offer→answer p50 / p99 ms', 'wall s'],
    results.map((result) => {
      const cpu = cpuPer1000(result);
      return [
        label(result),
        `${result.instances} × ${result.loadProcesses}`,
        `${number(result.joined)} (${number(result.joinSec)})`,
        String(refusals(result)),
        String(result.cells),
        `${number(result.rssPerPeerKB, 2)} (${number(result.rssPerPeerWithoutYoungKB, 2)})`,
        number(result.announces / result.windowSec),
        `${number(cpu.gross, 2)} (${cpu.netMeasurable ? number(cpu.net, 2) : 'within idle noise'})`,
        result.nodes.length > 0 ? number((1000 * result.redisCpuSec) / result.announces, 2) : '-',
        ms(result.announceLatencyMs),
        `${ms(result.coordination.latencyMs)} (${number(result.coordination.answers)})`,
        ms(result.relayLatencyMs),
        number(result.wallSec),
      ];
    }),
  );
}

export function formatNodes(results: ScaleResult[]): string {
  return table(
    ['peers', 'node', 'keys', 'used memory MiB', 'commands/s in window', 'Redis CPU %', 'cells (live members each)'],
    results.flatMap((result) => result.nodes.map((node) => [
      number(result.peers),
      node.node,
      number(node.keys),
      mib(node.usedMemoryBytes),
      number(node.commandsPerSec),
      number(node.cpuPercent),
      `${node.cellSizes.length} (${node.cellSizes.length > 0 ? `${number(Math.min(...node.cellSizes))}–${number(Math.max(...node.cellSizes))}` : '-'})`,
    ])),
  );
}

/** What a reader needs to trust a row: whether the generator or other work set the pace, and every refusal and oddity by name. */
export function describe(result: ScaleResult): string {
  const notes = [
    `trackers idle ${number(result.idleCpuPercent)} % of a core (all instances), RSS ${mib(result.idle.rssBytes)} → ${mib(result.loaded.rssBytes)} MiB ` +
      `(young generation ${mib(result.idle.youngGenerationBytes)} → ${mib(result.loaded.youngGenerationBytes)} MiB)`,
    `window ${number(result.windowSec)} s: ${number(result.announces)} announces, ${number(result.offersRelayed)} offers and ${number(result.answersRelayed)} answers relayed, ` +
      `tracker CPU ${number((100 * result.trackerCpuSec) / result.windowSec)} % of a core (all instances), ` +
      `worst event-loop delay p99 ${number(result.eventLoopDelayMs.p99, 1)} ms, max ${number(result.eventLoopDelayMs.max)} ms, busiest load process ${number(result.loadCpuPercent)} %, rest of the machine ${number(result.otherCpuPercent)} %`,
    `trackers hold ${number(result.trackerPeers)} peers; ${result.disconnects} disconnects`,
  ];
  if (result.heldAfterStop > 0) notes.push(`WARNING: the trackers still held ${result.heldAfterStop} peers and connections long after the load had gone`);
  if (result.firstJoinError) notes.push(`first join failure: ${result.firstJoinError}`);
  if (Object.keys(result.windowFailures).length > 0) notes.push(`failure frames in the window: ${counts(result.windowFailures)}`);
  if (Object.keys(result.trackerRejections).length > 0) notes.push(`trackers' rejections: ${counts(result.trackerRejections)}`);
  if (Object.keys(result.coordination.failures).length > 0) notes.push(`coordination polls without an answer: ${counts(result.coordination.failures)}`);
  if (result.coordination.notMember > 0) notes.push(`coordination answers with rank null for joined peers: ${result.coordination.notMember}`);
  if (result.loadCpuPercent >= 90) notes.push('WARNING: a load process was saturated: the generator, not the tracker, set the pace');
  if (result.otherCpuPercent >= 25) notes.push('WARNING: other work was using the machine: latencies are unreliable');
  return `${label(result)}: ${notes.join('; ')}`;
}

/** The largest stream against the smallest, per-announce CPU (net of idle too) and coordination p99. */
export function formatGrowth(smallest: ScaleResult, largest: ScaleResult): string {
  const verdict = (ratio: number) => `${number(ratio, 2)}× (${ratio <= MAX_GROWTH ? 'within' : 'NOT within'} ${MAX_GROWTH}×)`;
  const [small, large] = [cpuPer1000(smallest), cpuPer1000(largest)];
  const net = small.netMeasurable && large.netMeasurable ? verdict(large.net / small.net) : 'n/a (a load within the trackers\' idle CPU)';
  return [
    `${label(largest)} ÷ ${label(smallest)}:`,
    `- tracker CPU per announce: ${verdict(large.gross / small.gross)}; net of idle: ${net}`,
    `- coordination p99: ${verdict(largest.coordination.latencyMs.p99 / smallest.coordination.latencyMs.p99)}`,
  ].join('\n');
}
