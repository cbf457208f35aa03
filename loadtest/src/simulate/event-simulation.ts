// A live event's audience over a bitrate ladder, each rendition its own swarm split into cells by
// the tracker's rule (cell-growth). Cells of a rendition fill evenly, so they are alike: a few are
// simulated event by event and their counts scaled to the rendition's audience. Each is simulated
// twice with the same audience: peer-first, and the HTTP-only control.
import { cellsToOpen, crowded } from '@swarmcast/protocol/cell-growth';
import type { PolicyOptions } from '@swarmcast/player-sdk/policy';
import { percentiles, round } from '../samples.ts';
import { seededRandom } from '../scenarios/event-audience.ts';
import { FETCH_REASONS, simulateCell, type AudienceShape, type CellOutcome, type FetchReason } from './cell-simulation.ts';
import { RoleWindows } from './role-windows.ts';

/** Cells of a rendition simulated event by event; the others are taken to be like them. */
export const SIMULATED_CELLS = 2;

export interface SimulationOptions extends AudienceShape {
  viewers: number;
  durationSec: number;
  segmentSec: number;
  liveLatencySec: number;
  httpFallbackBufferSec: number;
  /** Bitrates, kbit/s, lowest first as in a master playlist. */
  ladderKbit: number[];
  /** Spread the viewers over every rendition; otherwise all play the first. */
  allRenditions: boolean;
  /** Viewers of the whole audience that leave per minute, each replaced by a newcomer (after the ramp). */
  churnPerMinute: number;
  /** The tracker's MAX_PEERS_PER_SWARM. */
  cellCapacity: number;
  /** What the CDN charges per GB of origin egress, USD. */
  pricePerGb: number;
  seed: number;
}

/** One delivery's figures for a rendition (or the whole event), scaled to its audience. */
export interface Delivery {
  origin_fetches: number;
  fetches_per_segment: number;
  fetches_per_segment_reachable: number;
  fetches_per_segment_by_reason: Record<FetchReason, number>;
  offload_pct: number;
  late_segments: number;
  stall_pct_of_watch_time: number;
  startup_p50_ms: number | null;
  uplink_use_pct: number;
  origin_gbit_s_peak: number;
  origin_gbit_s_mean: number;
  /** GB = 10^9 bytes, as CDNs bill. */
  origin_gb: number;
  origin_cost_usd: number;
  origin_bytes: number;
  /** Origin Gbit/s by segment-duration window (when the bytes arrived). */
  origin_gbit_s_series: number[];
}

export interface RenditionResult {
  bitrate_kbit: number;
  viewers: number;
  cells: number;
  cell_members: number;
  cells_simulated: number;
  /** Mean seeders per cell over the slots, as seedersFor sized them. */
  seeders_per_cell: number;
  /** Viewers one seeder's copy reaches in the budget, as estimateMesh read the members' reports the first time there were enough. */
  mesh_reach: number | null;
  budget_ms: number;
  p2p: Delivery;
  http_only: Delivery;
}

export interface SimulationResult {
  segments: number;
  renditions: RenditionResult[];
  total: { p2p: Delivery; http_only: Delivery };
}

/** Cells the tracker holds for a stream that grew to `members` (cells fill evenly). */
export function cellsFor(members: number, capacity: number): number {
  let cells = 1;
  while (crowded(Math.ceil(members / cells), capacity)) cells = cellsToOpen(cells, Math.ceil(members / cells), capacity);
  return cells;
}

/** Viewers per rendition: round-robin over the ladder, or all on its first rung. */
function audienceOf(options: SimulationOptions): number[] {
  const rungs = options.allRenditions ? options.ladderKbit.length : 1;
  return options.ladderKbit.map((_, index) => (index < rungs ? Math.floor(options.viewers / rungs) + (index < options.viewers % rungs ? 1 : 0) : 0));
}

export async function simulateEvent(options: SimulationOptions, onProgress: (simulatedSec: number, totalSec: number, status: string) => void): Promise<SimulationResult> {
  const policy: PolicyOptions = { liveLatency: options.liveLatencySec, httpFallbackBuffer: options.httpFallbackBufferSec, policy: 'peer-first' };
  const bytesRandom = seededRandom(options.seed ^ 0x5eed);
  const windows = await RoleWindows.create(policy, options.segmentSec, (bytes) => bytes.map(() => Math.floor(bytesRandom() * 256)));
  const segments = Math.round(options.durationSec / options.segmentSec);
  const audience = audienceOf(options);
  const plan = audience.flatMap((viewers, index) => {
    if (viewers === 0) return [];
    const cells = cellsFor(viewers, options.cellCapacity);
    const simulated = Math.min(cells, SIMULATED_CELLS);
    const sizes = Array.from({ length: simulated }, (_, cell) => Math.floor(viewers / cells) + (cell < viewers % cells ? 1 : 0));
    return [{ index, viewers, cells, sizes }];
  });
  const totalSec = 2 * options.durationSec * plan.reduce((sum, rendition) => sum + rendition.sizes.length, 0);
  let doneSec = 0;

  const renditions: RenditionResult[] = [];
  for (const { index, viewers, cells, sizes } of plan) {
    const bitrate = options.ladderKbit[index]!;
    const scale = viewers / sizes.reduce((sum, size) => sum + size, 0);
    const run = (httpOnly: boolean) =>
      sizes.map((members, cell) => {
        const label = `${bitrate}k cell ${cell + 1}/${sizes.length}${httpOnly ? ' http-only' : ''}`;
        const outcome = simulateCell({
          members,
          segmentBytes: (bitrate * 1000 * options.segmentSec) / 8,
          segmentSec: options.segmentSec,
          liveLatencySec: options.liveLatencySec,
          segments,
          network: options.network,
          unreachable: options.unreachable,
          cellular: options.cellular,
          churnPerMinute: (options.churnPerMinute * members) / options.viewers,
          rampSec: options.rampSec,
          connect: options.connect,
          httpOnly,
          random: seededRandom(options.seed * 1_000_003 + index * 1009 + cell),
          policyRandom: seededRandom(options.seed * 999_983 + index * 1013 + cell),
          windows,
          onProgress: (sec) => onProgress(doneSec + sec, totalSec, label),
        });
        doneSec += options.durationSec;
        return outcome;
      });
    const p2p = run(false);
    const control = run(true);
    renditions.push({
      bitrate_kbit: bitrate,
      viewers,
      cells,
      cell_members: sizes[0]!,
      cells_simulated: sizes.length,
      seeders_per_cell: round(mean(p2p.map((cell) => cell.seeders)), 2),
      mesh_reach: p2p[0]!.reach === null ? null : round(p2p[0]!.reach, 2),
      budget_ms: windows.budgetMs(),
      p2p: deliveryOf(p2p, scale, options),
      http_only: deliveryOf(control, scale, options),
    });
  }
  return { segments, renditions, total: { p2p: totalOf(renditions, 'p2p', options), http_only: totalOf(renditions, 'http_only', options) } };
}

/** Per segment means per segment the viewers watched, as a rehearsal counts it. */
function deliveryOf(cells: CellOutcome[], scale: number, options: SimulationOptions): Delivery {
  const add = (pick: (cell: CellOutcome) => number) => cells.reduce((sum, cell) => sum + pick(cell), 0);
  const fetches = Object.fromEntries(FETCH_REASONS.map((name) => [name, add((cell) => cell.fetches[name]) * scale])) as Record<FetchReason, number>;
  const series = cells[0]!.originBytesByWindow.map((_, window) => add((cell) => cell.originBytesByWindow[window]!) * scale);
  return summarise({
    fetches,
    series: Array.from(series),
    originBytes: add((cell) => cell.originBytes) * scale,
    peerBytes: add((cell) => cell.peerBytes) * scale,
    lateSegments: add((cell) => cell.lateSegments) * scale,
    stallMs: add((cell) => cell.stallMs),
    watchMs: add((cell) => cell.watchMs),
    startupMs: cells.flatMap((cell) => cell.startupMs),
    uplinkBusyMs: add((cell) => cell.uplinkBusyMs),
    uplinkPresentMs: add((cell) => cell.uplinkPresentMs),
  }, cells[0]!.segmentsWatched, options);
}

function totalOf(renditions: RenditionResult[], which: 'p2p' | 'http_only', options: SimulationOptions): Delivery {
  const deliveries = renditions.map((rendition) => rendition[which]);
  const add = (pick: (delivery: Delivery) => number) => deliveries.reduce((sum, delivery) => sum + pick(delivery), 0);
  const bytesPerWindow = (delivery: Delivery) => delivery.origin_gbit_s_series.map((gbit) => (gbit * 1e9 * options.segmentSec) / 8);
  const series = bytesPerWindow(deliveries[0]!).map((_, window) => deliveries.reduce((sum, delivery) => sum + bytesPerWindow(delivery)[window]!, 0));
  const originBytes = add((delivery) => delivery.origin_bytes);
  // Weighted by each rendition's share of the bytes and of the watch time, which the deliveries keep as percentages.
  const watch = renditions.map((rendition) => rendition.viewers);
  const weighted = (pick: (delivery: Delivery) => number, weights: number[]) => deliveries.reduce((sum, delivery, i) => sum + pick(delivery) * weights[i]!, 0) / weights.reduce((a, b) => a + b, 0);
  const bytes = renditions.map((rendition) => rendition.bitrate_kbit * rendition.viewers);
  return {
    origin_fetches: add((delivery) => delivery.origin_fetches),
    fetches_per_segment: round(add((delivery) => delivery.fetches_per_segment), 2),
    fetches_per_segment_reachable: round(add((delivery) => delivery.fetches_per_segment_reachable), 2),
    fetches_per_segment_by_reason: Object.fromEntries(FETCH_REASONS.map((name) => [name, round(add((delivery) => delivery.fetches_per_segment_by_reason[name]), 2)])) as Record<FetchReason, number>,
    offload_pct: round(weighted((delivery) => delivery.offload_pct, bytes)),
    late_segments: add((delivery) => delivery.late_segments),
    stall_pct_of_watch_time: round(weighted((delivery) => delivery.stall_pct_of_watch_time, watch), 4),
    startup_p50_ms: null,
    uplink_use_pct: round(weighted((delivery) => delivery.uplink_use_pct, watch), 2),
    origin_gbit_s_peak: round(Math.max(...series.map((windowBytes) => (windowBytes * 8) / options.segmentSec / 1e9)), 4),
    origin_gbit_s_mean: round((originBytes * 8) / options.durationSec / 1e9, 4),
    origin_gb: round(originBytes / 1e9, 3),
    origin_cost_usd: round((originBytes / 1e9) * options.pricePerGb, 2),
    origin_bytes: originBytes,
    origin_gbit_s_series: series.map((windowBytes) => round((windowBytes * 8) / options.segmentSec / 1e9, 6)),
  };
}

/** A rendition's (or the event's) cells added up: a cell's outcome, its origin bytes by window as a plain series. */
type Counts = Omit<CellOutcome, 'members' | 'originBytesByWindow' | 'seeders' | 'reach' | 'segmentsWatched'> & { series: number[] };

function summarise(counts: Counts, segments: number, options: SimulationOptions): Delivery {
  const all = FETCH_REASONS.reduce((sum, name) => sum + counts.fetches[name], 0);
  const startup = percentiles(counts.startupMs).p50;
  return {
    origin_fetches: Math.round(all),
    fetches_per_segment: round(all / segments, 2),
    fetches_per_segment_reachable: round((all - counts.fetches.unreachable) / segments, 2),
    fetches_per_segment_by_reason: Object.fromEntries(FETCH_REASONS.map((name) => [name, round(counts.fetches[name] / segments, 2)])) as Record<FetchReason, number>,
    offload_pct: round((100 * counts.peerBytes) / Math.max(1, counts.peerBytes + counts.originBytes)),
    late_segments: Math.round(counts.lateSegments),
    stall_pct_of_watch_time: round((100 * counts.stallMs) / Math.max(1, counts.watchMs), 4),
    startup_p50_ms: Number.isNaN(startup) ? null : Math.round(startup),
    uplink_use_pct: round((100 * counts.uplinkBusyMs) / Math.max(1, counts.uplinkPresentMs), 2),
    origin_gbit_s_peak: round(Math.max(...counts.series.map((bytes) => (bytes * 8) / options.segmentSec / 1e9)), 4),
    origin_gbit_s_mean: round((counts.originBytes * 8) / options.durationSec / 1e9, 4),
    origin_gb: round(counts.originBytes / 1e9, 3),
    origin_cost_usd: round((counts.originBytes / 1e9) * options.pricePerGb, 2),
    origin_bytes: Math.round(counts.originBytes),
    origin_gbit_s_series: counts.series.map((bytes) => round((bytes * 8) / options.segmentSec / 1e9, 6)),
  };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
