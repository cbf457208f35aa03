/** Audience aggregates in this process: the default, for a single tracker instance. */
import type { Beat } from '@swarmcast/protocol/beat-schema';
import {
  ACTIVE_MS,
  beatAdditions,
  beatDeltas,
  BUCKET_MS,
  bucketStart,
  firstBucket,
  firstRankedBucket,
  MAX_BUCKET_VALUE,
  percentilesOf,
  RETENTION_MS,
  type PreviousBeat,
  type StreamState,
} from './aggregate.ts';
import type { RecordOutcome, TelemetryStore, TelemetryStoreLimits } from './store.ts';

interface Session extends PreviousBeat {
  startupRecorded: boolean;
}

interface StreamAggregates {
  lastSeen: number;
  /** The bucket at the last trim of `buckets`: they are trimmed once per bucket, not per beat. */
  trimmedAt: number;
  buckets: Map<number, Record<string, number>>;
  sessions: Map<string, Session>;
  /**
   * Session → last beat time, for sessions that have not ended. `sessions` and `active` are
   * re-inserted on every beat, so Map order is by last beat and trimming stops at the first fresh one.
   */
  active: Map<string, number>;
  latency: Map<string, number>;
  startup: Map<string, { ms: number; at: number }>;
}

/** Verified watch ms of the last `RANK_MS`: what streams are ranked by. */
function rankOf(stream: StreamAggregates, now: number): number {
  const from = firstRankedBucket(now);
  let rank = 0;
  for (const [start, fields] of stream.buckets) if (start >= from) rank += fields['vw'] ?? 0;
  return rank;
}

export class MemoryTelemetryStore implements TelemetryStore {
  /** Re-inserted on every accepted beat: Map order is by last beat, so eviction meets quiet streams first. */
  private readonly streamsByName = new Map<string, StreamAggregates>();
  /** Streams nobody reads would otherwise keep their sessions for as long as beats keep coming. */
  private readonly pruneTimer = setInterval(() => this.prune(Date.now()), BUCKET_MS).unref();

  constructor(private readonly limits: TelemetryStoreLimits) {}

  async record(beat: Beat, now: number): Promise<RecordOutcome> {
    let stream = this.streamsByName.get(beat.stream);
    if (!stream) {
      if (this.streamsByName.size >= this.limits.maxStreams) this.evictStream(now);
      stream = { lastSeen: now, trimmedAt: 0, buckets: new Map(), sessions: new Map(), active: new Map(), latency: new Map(), startup: new Map() };
      this.streamsByName.set(beat.stream, stream);
    }
    this.trim(stream, now);
    const previous = stream.sessions.get(beat.sid);
    if (previous && beat.seq <= previous.seq) return 'stale';

    const additions = beatAdditions(beat, beatDeltas(beat, previous, now, this.limits.topBitrate), now);
    const sum = (start: number, field: string) => stream.buckets.get(start)?.[field] ?? 0;
    if (additions.some(([start, field, value]) => sum(start, field) + value > MAX_BUCKET_VALUE)) return 'overflow';
    for (const [start, field, value] of additions) {
      let fields = stream.buckets.get(start);
      if (!fields) stream.buckets.set(start, (fields = {}));
      fields[field] = sum(start, field) + value;
    }
    stream.lastSeen = now;
    this.streamsByName.delete(beat.stream);
    this.streamsByName.set(beat.stream, stream);

    if (!previous && stream.sessions.size >= this.limits.maxSessionsPerStream) this.evictSession(stream);
    const startupRecorded = previous?.startupRecorded === true || beat.startupMs !== null;
    if (beat.startupMs !== null && !previous?.startupRecorded) stream.startup.set(beat.sid, { ms: beat.startupMs, at: now });
    stream.sessions.delete(beat.sid);
    stream.sessions.set(beat.sid, {
      seq: beat.seq, http: beat.http, p2p: beat.p2p, up: beat.up, stalls: beat.stalls, stallMs: beat.stallMs,
      watchMs: beat.watchMs, errors: beat.errors, seenAt: now, startupRecorded,
    });
    stream.active.delete(beat.sid);
    if (beat.end) {
      stream.latency.delete(beat.sid);
    } else {
      stream.active.set(beat.sid, now);
      if (beat.latencyMs === null) stream.latency.delete(beat.sid);
      else stream.latency.set(beat.sid, beat.latencyMs);
    }
    return 'accepted';
  }

  async streams(now: number, limit: number): Promise<string[]> {
    this.prune(now);
    return [...this.streamsByName]
      .map(([name, stream]) => ({ name, rank: rankOf(stream, now), lastSeen: stream.lastSeen }))
      .sort((a, b) => b.rank - a.rank || b.lastSeen - a.lastSeen)
      .slice(0, limit)
      .map(({ name }) => name);
  }

  async read(name: string, now: number): Promise<StreamState | null> {
    const stream = this.streamsByName.get(name);
    if (!stream || stream.lastSeen <= now - RETENTION_MS) return null;
    this.trim(stream, now);
    const from = firstBucket(now);
    const buckets = [...stream.buckets]
      .filter(([start]) => start >= from && start <= now)
      .sort(([a], [b]) => a - b)
      .map(([start, fields]) => ({ start, fields: { ...fields } }));
    const sorted = (values: Iterable<number>) => [...values].sort((a, b) => a - b);
    return {
      stream: name,
      buckets,
      viewers: stream.active.size,
      startup: percentilesOf(sorted([...stream.startup.values()].map((sample) => sample.ms))),
      latency: percentilesOf(sorted(stream.latency.values())),
    };
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    this.streamsByName.clear();
  }

  private prune(now: number): void {
    for (const [name, stream] of this.streamsByName) {
      if (stream.lastSeen <= now - RETENTION_MS) this.streamsByName.delete(name);
      else this.trim(stream, now);
    }
  }

  /** The quietest stream without verified watch time; when every stream has some, the one with the least. */
  private evictStream(now: number): void {
    let victim: { name: string; rank: number } | undefined;
    for (const [name, stream] of this.streamsByName) {
      const rank = rankOf(stream, now);
      if (!victim || rank < victim.rank) victim = { name, rank };
      if (rank === 0) break;
    }
    if (!victim) return;
    this.streamsByName.delete(victim.name);
    this.limits.onEviction('stream');
  }

  /** The session silent longest (first in `sessions`' order). */
  private evictSession(stream: StreamAggregates): void {
    const sid = stream.sessions.keys().next().value;
    if (sid === undefined) return;
    for (const sessions of [stream.sessions, stream.active, stream.latency, stream.startup]) sessions.delete(sid);
    this.limits.onEviction('session');
  }

  private trim(stream: StreamAggregates, now: number): void {
    if (stream.trimmedAt !== bucketStart(now)) {
      stream.trimmedAt = bucketStart(now);
      const from = firstBucket(now);
      for (const start of stream.buckets.keys()) if (start < from) stream.buckets.delete(start);
    }
    for (const [sid, session] of stream.sessions) {
      if (session.seenAt > now - RETENTION_MS) break;
      stream.sessions.delete(sid);
    }
    for (const [sid, seenAt] of stream.active) {
      if (seenAt > now - ACTIVE_MS) break;
      stream.active.delete(sid);
      stream.latency.delete(sid);
    }
    // Startup samples are added once per session, in time order.
    for (const [sid, sample] of stream.startup) {
      if (sample.at > now - RETENTION_MS) break;
      stream.startup.delete(sid);
    }
  }
}
