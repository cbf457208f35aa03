/**
 * Audience aggregation: what one beat adds to a stream's time buckets, and how a stream's raw
 * aggregates become the figures the dashboard and `/metrics` show. Both telemetry stores apply
 * exactly these rules (the Redis one in Lua, see `store-redis.ts`); the tests hold them to it.
 *
 * Per stream and 10 s bucket, integer sums: `beats`, bytes `http` / `p2p` / `up`, `stall` ms,
 * `stalls`, `errors`, `peers` (sum over beats, for peers per viewer), `lat` / `latn` (latency sum
 * and count), `watch` ms, `w:<rendition>` ms (at most `MAX_RENDITIONS_PER_BUCKET` names, the rest
 * under `OVERFLOW_RENDITION`) and `vw` ms (below). Counters arrive cumulative per session and are
 * applied as deltas against what was counted for that session, so a lost beat loses nothing
 * and a repeated or older beat (same or lower `seq`) adds nothing. Bytes, stalls and errors land
 * in the bucket the beat arrives in; watch time is spread over the buckets it covers (the
 * `watchMs` delta, ending now), so viewers per bucket = watch ms / bucket ms is the exact average
 * audience of that bucket once every beat covering it has arrived.
 *
 * Beats come from anyone, so what a session may add is bounded by the wall time since the
 * collector first saw it (`beatDeltas`): its watch time by that time plus one beat interval (the
 * SDK's first beat comes at most `MAX_BEAT_INTERVAL_MS` after the player starts), its downloads by
 * what its watch time and a buffer, both no longer than that wall time, allow at the ladder's top
 * bitrate (so a session's first beat adds no bytes: they are counted with its later beats), its
 * uploads by that times its peers, stalls and errors by a count no player reaches in one beat;
 * startup and latency are clamped to what a player plausibly reports. A beat that would still
 * push a bucket's sum past `MAX_BUCKET_VALUE` is refused whole, so sums stay exact and nothing is
 * written half-way. The stores also bound the sessions one address holds per stream
 * (`TelemetryStoreLimits.maxSessionsPerAddress`), so one address cannot pose as a crowd.
 * `vw` (verified watch) is the part of a beat's watch time that wall-clock time since the
 * session's previous beat vouches for; streams are ranked by it (`RANK_MS`), because
 * a flood of new sessions or streams cannot make it grow faster than real time passes.
 */
import type { Beat } from '@swarmcast/protocol/beat-schema';
import { MAX_BEAT_INTERVAL_MS } from '@swarmcast/protocol/telemetry';

/** Resolution of the time series. */
export const BUCKET_MS = 10_000;
/** How long buckets, sessions and startup samples are kept: the dashboard's window. */
export const RETENTION_MS = 3600_000;
/** A session without a beat for this long no longer counts as a viewer: 2.5 × the SDK's longest beat interval. */
export const ACTIVE_MS = 2.5 * MAX_BEAT_INTERVAL_MS;
/** Watch time one beat may add: a session silent longer than this is treated as having left meanwhile. */
export const MAX_WATCH_DELTA_MS = 300_000;
/** The "now" figures that average over beats (peers per viewer, renditions) use this much recent history. */
export const RECENT_MS = 60_000;
/** Streams are ranked by their verified watch time over this much recent history. */
export const RANK_MS = RECENT_MS;
/**
 * Media a player may fetch beyond what it has watched: the SDK prefetches up to 120 s ahead
 * (VOD), plus room for a rendition switch fetching some of it twice.
 */
export const BUFFER_AHEAD_MS = 180_000;
/** Headroom over the top bitrate: VBR peaks above the nominal rate, retried segments. */
export const BITRATE_MARGIN = 2;
/**
 * Watch time a session may have had before the collector first saw it: the SDK sends its first
 * beat at most one beat interval after `createPlayer`, and watching starts at the first frame.
 */
export const FIRST_BEAT_WATCH_MS = MAX_BEAT_INTERVAL_MS;
/** Stalls or errors one beat may add: a player beats every 15 s (`DEFAULT_BEAT_INTERVAL_MS`), and no working one gets near this. */
export const MAX_EVENTS_PER_BEAT = 1000;
/**
 * Startup counted at most: a player not playing a minute after `createPlayer` has failed or waits
 * for a click, and "a minute or more" is all the dashboard needs to say about it.
 */
export const MAX_STARTUP_MS = 60_000;
/**
 * Live latency counted at most: more than twice p2p-media-loader's own default (≈120 s), the
 * highest anyone runs a P2P live stream at; a viewer further behind (DVR) counts as this far.
 */
export const MAX_LATENCY_MS = 300_000;
/** Largest value a bucket sum may reach: above it doubles (JavaScript, Lua) are no longer exact. */
export const MAX_BUCKET_VALUE = Number.MAX_SAFE_INTEGER;
/**
 * Rendition names (`w:<rendition>` fields) one bucket holds: names come from anyone's beats, and a
 * ladder rarely has more than 6 rungs. Watch time under a further name is counted under
 * `OVERFLOW_RENDITION`, so every total still adds up; the summary lists as many names at most.
 */
export const MAX_RENDITIONS_PER_BUCKET = 16;
/** Outside the beat schema's rendition alphabet (`[A-Za-z0-9_.-]`), so no rendition can be named so. */
export const OVERFLOW_RENDITION = '(other)';
/** Rebuffer ratio thresholds: under 1 % is good, under 3 % acceptable, above that viewers notice. */
export const REBUFFER_GOOD = 0.01;
export const REBUFFER_BAD = 0.03;

export const bucketStart = (now: number): number => now - (now % BUCKET_MS);
/** The oldest bucket whose verified watch ranks a stream at `now`. */
export const firstRankedBucket = (now: number): number => bucketStart(now - RANK_MS);
/** The oldest bucket in the window at `now`: buckets starting within the last `RETENTION_MS`. */
export const firstBucket = (now: number): number => bucketStart(now - RETENTION_MS) + BUCKET_MS;

/** The pieces of the interval [now − ms, now] in each bucket it touches, oldest first; they sum to `ms`. */
export function spreadOverBuckets(now: number, ms: number): Array<[start: number, ms: number]> {
  const pieces: Array<[number, number]> = [];
  if (ms <= 0) return pieces;
  const from = now - ms;
  for (let start = bucketStart(from); start <= bucketStart(now); start += BUCKET_MS) {
    const piece = Math.min(now, start + BUCKET_MS) - Math.max(from, start);
    if (piece > 0) pieces.push([start, piece]);
  }
  return pieces;
}

/** What was counted for a session so far, and the counters of its last beat applied. */
export interface SessionCounters {
  seq: number;
  /** Bytes counted (at most what its beats claimed: the rest is counted once its wall time allows it). */
  http: number;
  p2p: number;
  up: number;
  /** Watch ms counted. */
  watched: number;
  /** The last beat's own counters: the next beat's deltas are taken against them. */
  stalls: number;
  stallMs: number;
  watchMs: number;
  errors: number;
}

export interface BeatDeltas {
  http: number;
  p2p: number;
  up: number;
  stalls: number;
  stall: number;
  watch: number;
  /** Verified watch: the watch delta, at most the wall-clock time since the session's previous beat (0 for its first). */
  vw: number;
  errors: number;
}

/** What was counted for a session, when the collector first saw it and when its last beat arrived. */
export interface PreviousBeat extends SessionCounters {
  since: number;
  seenAt: number;
}

/** Segment bytes `watchMs` of watching plus `bufferMs` of media fetched ahead amount to, with streams of at most `topBitrate` bits/s. */
export const byteAllowance = (watchMs: number, bufferMs: number, topBitrate: number): number =>
  Math.floor(((watchMs + bufferMs) * topBitrate * BITRATE_MARGIN) / 8000);

/** Startup and latency as counted: clamped to `MAX_STARTUP_MS` and `MAX_LATENCY_MS`. */
export const countedStartup = (beat: Beat): number | null => (beat.startupMs === null ? null : Math.min(beat.startupMs, MAX_STARTUP_MS));
export const countedLatency = (beat: Beat): number | null => (beat.latencyMs === null ? null : Math.min(beat.latencyMs, MAX_LATENCY_MS));

/**
 * Deltas of a beat against what was counted for its session, bounded (see the top of this file);
 * a counter that went down (a restarted session id) adds nothing. A session's bytes are bounded in
 * total, by its counted watch time and a buffer, each at most the wall time since the collector
 * first saw it: a first beat adds none, and what a beat claims beyond the bound is counted by
 * later beats as wall time passes. Over the bound, peer bytes are cut first, so an inflated claim
 * never raises the offload it reports.
 */
export function beatDeltas(beat: Beat, previous: PreviousBeat | undefined, now: number, topBitrate: number): BeatDeltas {
  const delta = (value: number, before: number | undefined) => Math.max(0, value - (before ?? 0));
  const wall = now - (previous?.since ?? now);
  const watched = previous?.watched ?? 0;
  const watch = Math.min(delta(beat.watchMs, previous?.watchMs), MAX_WATCH_DELTA_MS, Math.max(0, wall + FIRST_BEAT_WATCH_MS - watched));
  const allowance = byteAllowance(Math.min(watched + watch, wall), Math.min(BUFFER_AHEAD_MS, wall), topBitrate);
  const budget = Math.max(0, allowance - (previous?.http ?? 0) - (previous?.p2p ?? 0));
  const http = Math.min(delta(beat.http, previous?.http), budget);
  return {
    http,
    p2p: Math.min(delta(beat.p2p, previous?.p2p), budget - http),
    // Each connected peer can take at most one copy of what this viewer fetched.
    up: Math.min(delta(beat.up, previous?.up), Math.max(0, allowance * Math.max(1, beat.peers) - (previous?.up ?? 0))),
    stalls: Math.min(delta(beat.stalls, previous?.stalls), MAX_EVENTS_PER_BEAT),
    // Stalled time is part of watch time; a beat claiming more is cut to it.
    stall: Math.min(delta(beat.stallMs, previous?.stallMs), watch),
    watch,
    vw: previous ? Math.min(watch, Math.max(0, now - previous.seenAt)) : 0,
    errors: Math.min(delta(beat.errors, previous?.errors), MAX_EVENTS_PER_BEAT),
  };
}

/** The session as stored after `beat` was applied with `deltas`. */
export function sessionAfter(beat: Beat, previous: PreviousBeat | undefined, deltas: BeatDeltas, now: number): PreviousBeat {
  return {
    seq: beat.seq,
    http: (previous?.http ?? 0) + deltas.http,
    p2p: (previous?.p2p ?? 0) + deltas.p2p,
    up: (previous?.up ?? 0) + deltas.up,
    watched: (previous?.watched ?? 0) + deltas.watch,
    stalls: beat.stalls,
    stallMs: beat.stallMs,
    watchMs: beat.watchMs,
    errors: beat.errors,
    since: previous?.since ?? now,
    seenAt: now,
  };
}

/**
 * What a beat adds, as [bucket start, field, value] with value > 0; both stores apply exactly these.
 * `fieldsAt`: the bucket's sums so far, for the rendition cap (`heldRenditionField`).
 */
export function beatAdditions(
  beat: Beat,
  deltas: BeatDeltas,
  now: number,
  fieldsAt: (start: number) => Record<string, number> | undefined,
): Array<[start: number, field: string, value: number]> {
  const current = bucketStart(now);
  const additions: Array<[number, string, number]> = [
    [current, 'beats', 1],
    [current, 'http', deltas.http],
    [current, 'p2p', deltas.p2p],
    [current, 'up', deltas.up],
    [current, 'stall', deltas.stall],
    [current, 'stalls', deltas.stalls],
    [current, 'errors', deltas.errors],
    [current, 'peers', beat.peers],
    [current, 'vw', deltas.vw],
  ];
  const latency = countedLatency(beat);
  if (latency !== null) additions.push([current, 'lat', latency], [current, 'latn', 1]);
  const rendition = renditionField(beat.rendition);
  for (const [start, ms] of spreadOverBuckets(now, deltas.watch)) additions.push([start, 'watch', ms], [start, heldRenditionField(fieldsAt(start), rendition), ms]);
  return additions.filter(([, , value]) => value > 0);
}

const RENDITION_PREFIX = 'w:';
export const renditionField = (rendition: string | null): string => RENDITION_PREFIX + (rendition ?? 'unknown');
export const OVERFLOW_RENDITION_FIELD = renditionField(OVERFLOW_RENDITION);
export const isRenditionField = (field: string): boolean => field.startsWith(RENDITION_PREFIX);
export const renditionOf = (field: string): string => field.slice(RENDITION_PREFIX.length);

/** The field a bucket with `fields` counts `field`'s watch time under: the overflow's once it holds `MAX_RENDITIONS_PER_BUCKET` other names. */
export function heldRenditionField(fields: Record<string, number> | undefined, field: string): string {
  if (fields === undefined || Object.hasOwn(fields, field)) return field;
  let held = 0;
  for (const name of Object.keys(fields)) if (isRenditionField(name) && name !== OVERFLOW_RENDITION_FIELD) held++;
  return held < MAX_RENDITIONS_PER_BUCKET ? field : OVERFLOW_RENDITION_FIELD;
}

/**
 * Rendition fields ranked by watch ms, most first (ties by name), split after `keep`: the rest,
 * and the overflow field wherever it ranks, are what a view sums as `OVERFLOW_RENDITION`.
 */
export function rankRenditions(watchByField: Map<string, number>, keep: number): { kept: string[]; summed: string[] } {
  const ranked = [...watchByField]
    .filter(([field]) => field !== OVERFLOW_RENDITION_FIELD)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([field]) => field);
  const summed = ranked.slice(keep);
  if (watchByField.has(OVERFLOW_RENDITION_FIELD)) summed.push(OVERFLOW_RENDITION_FIELD);
  return { kept: ranked.slice(0, keep), summed };
}

export interface Percentiles {
  count: number;
  p50: number | null;
  p95: number | null;
}

/** Nearest-rank percentile position (0-based) in `count` sorted values. */
export const rankIndex = (p: number, count: number): number => Math.max(0, Math.ceil(p * count) - 1);

export function percentilesOf(sorted: number[]): Percentiles {
  const count = sorted.length;
  if (count === 0) return { count, p50: null, p95: null };
  return { count, p50: sorted[rankIndex(0.5, count)]!, p95: sorted[rankIndex(0.95, count)]! };
}

/** What a store reads for one stream: the raw material of a `StreamSummary`. */
export interface StreamState {
  stream: string;
  /** Buckets of the last hour holding data, oldest first. */
  buckets: Array<{ start: number; fields: Record<string, number> }>;
  /** Sessions with a beat within `ACTIVE_MS` that have not ended. */
  viewers: number;
  /** Startup time (ms) of the sessions that started within the window. */
  startup: Percentiles;
  /** Live latency (ms) of the active sessions, from their last beat. */
  latency: Percentiles;
}

export interface SeriesPoint {
  /** Bucket start, ms since the epoch. */
  t: number;
  /** Average concurrent viewers over the bucket (watch time / bucket length). */
  viewers: number;
  httpBytes: number;
  p2pBytes: number;
  /** p2p / (p2p + http) by bytes; null without bytes. */
  offloadRatio: number | null;
  /** stalled / watched time; null without watch time. */
  rebufferRatio: number | null;
  /** Mean live latency over the bucket's beats, ms. */
  latencyMs: number | null;
  /** Mean peers over the bucket's beats. */
  peersPerViewer: number | null;
}

export interface StreamSummary {
  stream: string;
  /** Sessions beating now (within the last `ACTIVE_MS`, not ended). */
  viewers: number;
  windowMs: number;
  bucketMs: number;
  /** Totals over the window (the last hour). */
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  offloadRatio: number | null;
  /** Origin egress the peers replaced: the p2p bytes, in GB (10^9 bytes). */
  egressSavedGb: number;
  /** `egressSavedGb` × `pricePerGb`. */
  egressSavedMoney: number;
  pricePerGb: number;
  watchMs: number;
  stallMs: number;
  stalls: number;
  errors: number;
  rebufferRatio: number | null;
  /** `good` below 1 %, `warning` below 3 %, `bad` from 3 %; null without watch time. */
  rebufferLevel: 'good' | 'warning' | 'bad' | null;
  startupMs: Percentiles;
  latencyMs: Percentiles;
  /** Mean peers per viewer over the beats of the last minute. */
  peersPerViewer: number | null;
  /** Share of the last minute's watch time per rendition, and that share of `viewers`. */
  renditions: Array<{ rendition: string; share: number; viewers: number }>;
  /** Every bucket of the window up to the last complete one, oldest first (zeros where nothing arrived). */
  series: SeriesPoint[];
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function rebufferLevel(rebufferRatio: number | null): StreamSummary['rebufferLevel'] {
  if (rebufferRatio === null) return null;
  return rebufferRatio < REBUFFER_GOOD ? 'good' : rebufferRatio < REBUFFER_BAD ? 'warning' : 'bad';
}

export function summarize(state: StreamState, now: number, pricePerGb: number): StreamSummary {
  const byStart = new Map(state.buckets.map((bucket) => [bucket.start, bucket.fields]));
  const totals: Record<string, number> = {};
  const recent: Record<string, number> = {};
  for (const { start, fields } of state.buckets) {
    const isRecent = start > now - RECENT_MS;
    for (const [field, value] of Object.entries(fields)) {
      totals[field] = (totals[field] ?? 0) + value;
      if (isRecent) recent[field] = (recent[field] ?? 0) + value;
    }
  }
  const get = (fields: Record<string, number> | undefined, name: string) => fields?.[name] ?? 0;

  const series: SeriesPoint[] = [];
  // The current bucket is still filling (watch time arrives with the beats that cover it): left out.
  for (let t = firstBucket(now); t < bucketStart(now); t += BUCKET_MS) {
    const fields = byStart.get(t);
    const http = get(fields, 'http');
    const p2p = get(fields, 'p2p');
    const beats = get(fields, 'beats');
    const latn = get(fields, 'latn');
    series.push({
      t,
      viewers: round(get(fields, 'watch') / BUCKET_MS, 2),
      httpBytes: http,
      p2pBytes: p2p,
      offloadRatio: ratio(p2p, p2p + http),
      rebufferRatio: ratio(get(fields, 'stall'), get(fields, 'watch')),
      latencyMs: latn > 0 ? Math.round(get(fields, 'lat') / latn) : null,
      peersPerViewer: beats > 0 ? round(get(fields, 'peers') / beats, 2) : null,
    });
  }

  const recentWatch = new Map(Object.entries(recent).filter(([field]) => isRenditionField(field)));
  const recentWatchTotal = [...recentWatch.values()].reduce((sum, ms) => sum + ms, 0);
  const { kept, summed } = rankRenditions(recentWatch, MAX_RENDITIONS_PER_BUCKET);
  const listed: Array<[rendition: string, ms: number]> = kept.map((field) => [renditionOf(field), recentWatch.get(field)!]);
  if (summed.length > 0) listed.push([OVERFLOW_RENDITION, summed.reduce((sum, field) => sum + recentWatch.get(field)!, 0)]);
  const renditions = listed.map(([rendition, ms]) => ({
    rendition,
    share: round(ms / recentWatchTotal, 4),
    viewers: round((ms / recentWatchTotal) * state.viewers, 1),
  }));

  const p2pBytes = get(totals, 'p2p');
  const httpBytes = get(totals, 'http');
  const rebufferRatio = ratio(get(totals, 'stall'), get(totals, 'watch'));
  const egressSavedGb = p2pBytes / 1e9;
  const recentBeats = get(recent, 'beats');
  return {
    stream: state.stream,
    viewers: state.viewers,
    windowMs: RETENTION_MS,
    bucketMs: BUCKET_MS,
    httpBytes,
    p2pBytes,
    uploadedBytes: get(totals, 'up'),
    offloadRatio: ratio(p2pBytes, p2pBytes + httpBytes),
    egressSavedGb,
    egressSavedMoney: egressSavedGb * pricePerGb,
    pricePerGb,
    watchMs: get(totals, 'watch'),
    stallMs: get(totals, 'stall'),
    stalls: get(totals, 'stalls'),
    errors: get(totals, 'errors'),
    rebufferRatio,
    rebufferLevel: rebufferLevel(rebufferRatio),
    startupMs: state.startup,
    latencyMs: state.latency,
    peersPerViewer: recentBeats > 0 ? round(get(recent, 'peers') / recentBeats, 2) : null,
    renditions,
    series,
  };
}
