// What one audience pass of the event scenario measured, reduced to what a broadcaster asks:
// how many times the origin sent each segment, why, and what each viewer's link and playback did.
// Plain functions of the recorded data, so they are tested without running viewers.
import type { SwarmcastStats } from '@swarmcast/player-sdk/policy';
import type { LinkShape } from '../network/profiles.ts';
import { percentiles, round, sum } from '../samples.ts';
import { FETCH_REASONS, type FetchReason } from '../viewer/fetch-reason.ts';
import type { LiveStats } from '../viewer/live-playback.ts';

/** One origin segment request as the viewer reported it. */
export interface RecordedFetch {
  sequence: number;
  reason: FetchReason;
  /** Seconds since the pass started. */
  atSec: number;
}

/** A cumulative byte counter, read between `readStartSec` and `atSec` of the pass. */
export interface CounterSample {
  readStartSec: number;
  atSec: number;
  uplinkBytes: number;
}

/** A virtual viewer (p2p-media-loader-core in Node) or a real Chromium page running the player SDK (`--browsers`). */
export type ViewerKind = 'virtual' | 'browser';
export const VIEWER_KINDS: readonly ViewerKind[] = ['virtual', 'browser'];

export interface ViewerRecord {
  name: string;
  rendition: string;
  kind: ViewerKind;
  link: LinkShape | null;
  unreachable: boolean;
  cellular: boolean;
  joinedAtSec: number;
  /** Set when churn killed it. */
  leftAtSec: number | null;
  /** Its final report, or the last periodic one of a viewer that was killed. */
  stats: LiveStats | undefined;
  /** A browser's: the page's `player.stats()` that `stats` was made from, as the page returned it. */
  playerStats: SwarmcastStats | null;
  fetches: RecordedFetch[];
  /** Read on the hub side of its link (test hosts only). */
  uplink: CounterSample[];
  /** The shaper's uplink burst: the most its link can send above the rate in an instant. */
  burstBytes: number;
}

export interface RenditionAnalysis {
  rendition: string;
  viewers: number;
  /** Distinct segments at least one of its viewers loaded. */
  segmentsWatched: number;
  /** Segment responses the origin counted for the rendition (its /stats). */
  originRequests: number;
  /** Segment requests the viewers reported; equal to `originRequests` unless a killed viewer's request was in flight. */
  reportedRequests: number;
  /** Of those, what unreachable viewers asked for their own playback (they can play over HTTP only). */
  unreachableRequests: number;
  /** originRequests ÷ segmentsWatched: 1 is one copy of the stream. */
  fetchesPerSegment: number;
  byReason: Record<FetchReason, number>;
  /** Per watched segment, the requests the viewers reported for it. */
  perSegment: { p50: number; p95: number; max: number };
  /** Per segment, by reason, at the second the segment was first requested (for the chart). */
  timeline: Array<{ atSec: number; sequence: number } & Record<FetchReason, number>>;
}

export interface UplinkUse {
  capKbit: number | null;
  /** Mean rate over the viewer's time in the pass. */
  meanKbit: number;
  /** Highest rate over one sampling interval. */
  peakKbit: number;
  /** Largest amount sent above cap × interval in one interval (≤ the burst if the shaper holds). */
  maxExcessBytes: number;
}

const emptyReasons = (): Record<FetchReason, number> => Object.fromEntries(FETCH_REASONS.map((r) => [r, 0])) as Record<FetchReason, number>;

/** Sequences watched by anyone: the union of each viewer's first..last loaded range. */
function watchedSequences(viewers: ViewerRecord[]): Set<number> {
  const watched = new Set<number>();
  for (const { stats } of viewers) {
    if (stats?.firstSequence == null || stats.lastSequence == null) continue;
    for (let sequence = stats.firstSequence; sequence <= stats.lastSequence; sequence++) watched.add(sequence);
  }
  return watched;
}

export function analyseRendition(rendition: string, viewers: ViewerRecord[], originRequests: number): RenditionAnalysis {
  const watched = watchedSequences(viewers);
  const fetches = viewers.flatMap((v) => v.fetches);
  const byReason = emptyReasons();
  const bySegment = new Map<number, { atSec: number; sequence: number } & Record<FetchReason, number>>();
  for (const fetch of fetches) {
    byReason[fetch.reason]++;
    const entry = bySegment.get(fetch.sequence) ?? { atSec: fetch.atSec, sequence: fetch.sequence, ...emptyReasons() };
    entry[fetch.reason]++;
    entry.atSec = Math.min(entry.atSec, fetch.atSec);
    bySegment.set(fetch.sequence, entry);
  }
  const counts = [...watched].map((sequence) => {
    const entry = bySegment.get(sequence);
    return entry ? sum(FETCH_REASONS.map((r) => entry[r])) : 0;
  });
  const spread = percentiles(counts);
  return {
    rendition,
    viewers: viewers.length,
    segmentsWatched: watched.size,
    originRequests,
    reportedRequests: fetches.length,
    unreachableRequests: sum(viewers.filter((v) => v.unreachable).map((v) => v.fetches.length)),
    fetchesPerSegment: watched.size === 0 ? 0 : originRequests / watched.size,
    byReason,
    perSegment: { p50: spread.p50, p95: spread.p95, max: spread.max },
    timeline: [...bySegment.values()].sort((a, b) => a.sequence - b.sequence),
  };
}

export function uplinkUse(viewer: ViewerRecord, endSec: number): UplinkUse {
  const capKbit = viewer.link?.uplinkKbit ?? null;
  const samples = viewer.uplink;
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined || last.atSec <= first.atSec) {
    // No link counters (lan): the bytes the viewer's own peers took from it.
    const seconds = (viewer.leftAtSec ?? endSec) - viewer.joinedAtSec;
    return { capKbit, meanKbit: seconds > 0 ? ((viewer.stats?.uploadedBytes ?? 0) * 8) / 1000 / seconds : 0, peakKbit: NaN, maxExcessBytes: NaN };
  }
  let peakKbit = 0;
  let maxExcessBytes = -Infinity;
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1]!, samples[i]!];
    const seconds = b.atSec - a.atSec;
    if (seconds <= 0) continue;
    const bytes = b.uplinkBytes - a.uplinkBytes;
    peakKbit = Math.max(peakKbit, (bytes * 8) / 1000 / seconds);
    // The bytes may have been sent over the longest interval the two reads allow.
    if (capKbit !== null) maxExcessBytes = Math.max(maxExcessBytes, bytes - (capKbit * 1000 * (b.atSec - a.readStartSec)) / 8);
  }
  return {
    capKbit,
    meanKbit: ((last.uplinkBytes - first.uplinkBytes) * 8) / 1000 / (last.atSec - first.atSec),
    peakKbit,
    maxExcessBytes: capKbit === null ? NaN : maxExcessBytes,
  };
}

/** Share of segment bytes that came from peers, in percent (0–100; 0 before any byte). */
export function offloadPercent(stats: { httpBytes: number; p2pBytes: number }): number {
  return stats.httpBytes + stats.p2pBytes === 0 ? 0 : (100 * stats.p2pBytes) / (stats.httpBytes + stats.p2pBytes);
}

/** Requests per watched segment over every rendition: the headline of a pass. */
export function overallFetchesPerSegment(renditions: RenditionAnalysis[]): number {
  const watched = sum(renditions.map((r) => r.segmentsWatched));
  return watched === 0 ? 0 : sum(renditions.map((r) => r.originRequests)) / watched;
}

/** The same without unreachable viewers' own requests: what the seeding costs, as the simulator's `fetches_per_segment_reachable`. */
export function reachableFetchesPerSegment(renditions: RenditionAnalysis[]): number {
  const watched = sum(renditions.map((r) => r.segmentsWatched));
  return watched === 0 ? 0 : sum(renditions.map((r) => Math.max(0, r.originRequests - r.unreachableRequests))) / watched;
}

/** The origin's cumulative segment responses, read once a second during a pass. */
export interface OriginReading {
  second: number;
  originSegmentRequests: number;
}

/**
 * Origin segment responses per segment published from `fromSec` to the end of the pass, over
 * `renditions` renditions of `targetDuration` s segments: the steady state once every viewer has
 * joined and filled its first buffer, without the joiners' startup fetches. NaN when
 * the pass ended before `fromSec` plus one segment.
 */
export function fetchesPerSegmentAfter(readings: OriginReading[], fromSec: number, targetDuration: number, renditions: number): number {
  const first = readings.find((r) => r.second >= fromSec);
  const last = readings[readings.length - 1];
  if (first === undefined || last === undefined || last.second - first.second < targetDuration) return NaN;
  const published = ((last.second - first.second) / targetDuration) * renditions;
  return (last.originSegmentRequests - first.originSegmentRequests) / published;
}

/** Origin requests the viewers reported for each reason ÷ segments watched, over the renditions. */
export function fetchesPerSegmentByReason(renditions: RenditionAnalysis[]): Record<FetchReason, number> {
  const watched = sum(renditions.map((r) => r.segmentsWatched));
  return Object.fromEntries(FETCH_REASONS.map((reason) => [reason, watched === 0 ? 0 : sum(renditions.map((r) => r.byReason[reason])) / watched])) as Record<FetchReason, number>;
}

/** `seed 0.9 · deadline 0.4 · …` per watched segment, the reasons that occurred. */
export function describeReasons(renditions: RenditionAnalysis[]): string {
  const parts = Object.entries(fetchesPerSegmentByReason(renditions))
    .filter(([, perSegment]) => perSegment > 0)
    .map(([reason, perSegment]) => `${reason} ${round(perSegment, 2)}`);
  return parts.length === 0 ? 'none' : parts.join(' · ');
}

/**
 * Seconds each viewer took to its first peer connection, leaving out the first to join (it waited
 * for the second, not for a connection) and those that never connected.
 */
export function connectTimesSec(viewers: ReadonlyArray<{ joinedAtSec: number; connectSec?: number | null }>): number[] {
  const first = Math.min(...viewers.map((viewer) => viewer.joinedAtSec));
  return viewers.flatMap((viewer) => (viewer.joinedAtSec > first && typeof viewer.connectSec === 'number' ? [viewer.connectSec] : []));
}
