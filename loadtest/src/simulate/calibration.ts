// The simulator beside a real rehearsal: the simulation of an `event` run's own scenario (its
// audience, links profile, shares, churn, ramp, latency and stream), and the rule by which the two
// agree. The loadtest README's calibration table and the calibration test both use it.
import type { NetworkName } from '../network/profiles.ts';
import { connectTimesSec } from '../scenarios/event-analysis.ts';
import type { LoadtestResult } from '../result.ts';
import { round } from '../samples.ts';
import { CONNECT_MS, type ConnectTimes } from './cell-simulation.ts';
import type { SimulationOptions, SimulationResult } from './event-simulation.ts';

/** What a rehearsal and a simulation of it are compared on. */
export interface Comparable {
  fetchesPerSegment: number;
  offloadPct: number;
  lateSegments: number;
}

/** The bar: fetches per segment within 20 % (or 0.3 absolute), offload within 2 points, late segments 0 on both or on neither. */
export const AGREEMENT = { fetchesShare: 0.2, fetchesAbsolute: 0.3, offloadPoints: 2 } as const;

export interface Agreement {
  fetches: boolean;
  offload: boolean;
  late: boolean;
}

const runMetric = (result: LoadtestResult, name: string): number => {
  const found = result.metrics.find((m) => m.name === name && m.tags === undefined);
  if (found === undefined) throw new Error(`the event result has no metric ${name}`);
  return found.value;
};

/** As the rehearsal's report rounds them, so the table compares what a reader sees. */
export function rehearsalFigures(result: LoadtestResult): Comparable {
  return {
    fetchesPerSegment: round(runMetric(result, 'fetches_per_segment'), 2),
    offloadPct: round(100 * runMetric(result, 'offload')),
    lateSegments: runMetric(result, 'late_segments'),
  };
}

export function simulatedFigures(result: SimulationResult): Comparable {
  const { p2p } = result.total;
  return { fetchesPerSegment: p2p.fetches_per_segment, offloadPct: p2p.offload_pct, lateSegments: p2p.late_segments };
}

/**
 * The simulation of a rehearsal's scenario, with the simulator's seed `seed`. The rendition's
 * bitrate is what its segments weighed in the run (an input, like the viewers' count); nothing
 * else is read from the run's outcome.
 */
export function simulationOf(rehearsal: LoadtestResult, seed: number): SimulationOptions {
  if (rehearsal.scenario !== 'event') throw new Error(`a ${rehearsal.scenario} result is not a rehearsal of an event`);
  const p = rehearsal.parameters as {
    viewers: number; durationSec: number; rampSec: number; liveLatencySec: number; httpFallbackBufferSec: number;
    network: NetworkName; unreachable: number; cellular?: number; churnPerMinute: number; rendition: string;
  };
  const { segmentSec } = rehearsal.details['stream'] as { segmentSec: number };
  const totals = rehearsal.details['totals'] as { segmentBytes: number; segmentsLoaded: number };
  if (p.rendition === 'all') throw new Error('calibration takes a rehearsal of one rendition');
  const bitrateKbit = (totals.segmentBytes * 8) / Math.max(1, totals.segmentsLoaded) / segmentSec / 1000;
  return {
    viewers: p.viewers,
    durationSec: p.durationSec,
    segmentSec,
    liveLatencySec: p.liveLatencySec,
    httpFallbackBufferSec: p.httpFallbackBufferSec,
    ladderKbit: [bitrateKbit],
    allRenditions: false,
    network: p.network,
    unreachable: p.unreachable,
    cellular: p.cellular ?? 0,
    churnPerMinute: p.churnPerMinute,
    rampSec: p.rampSec,
    // Measured in the rehearsal, as its bitrate: a rehearsal's links add no delay, the internet's do.
    connect: connectOf(rehearsal),
    cellCapacity: 10_000,
    pricePerGb: 0,
    seed,
  };
}

/** The times its viewers took to their first peer connection, ms; the simulator's default for a result that did not measure them. */
function connectOf(rehearsal: LoadtestResult): ConnectTimes {
  const viewers = rehearsal.details['viewers'] as Array<{ joinedAtSec: number; connectSec?: number | null }>;
  const measured = connectTimesSec(viewers).map((sec) => sec * 1000);
  return measured.length > 0 ? { measured } : { range: CONNECT_MS };
}

export function agreement(real: Comparable, simulated: Comparable): Agreement {
  const gap = Math.abs(real.fetchesPerSegment - simulated.fetchesPerSegment);
  return {
    fetches: gap <= AGREEMENT.fetchesAbsolute || gap <= AGREEMENT.fetchesShare * real.fetchesPerSegment,
    offload: Math.abs(real.offloadPct - simulated.offloadPct) <= AGREEMENT.offloadPoints,
    late: real.lateSegments > 0 === simulated.lateSegments > 0,
  };
}
