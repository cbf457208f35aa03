/** Audience aggregates in this process: the default, for a single tracker instance. */
import type { Beat } from './beat-schema.ts';
import {
  ACTIVE_MS,
  beatDeltas,
  bucketStart,
  firstBucket,
  percentilesOf,
  renditionField,
  RETENTION_MS,
  spreadOverBuckets,
  type SessionCounters,
  type StreamState,
} from './aggregate.ts';
import type { RecordOutcome, TelemetryStore } from './store.ts';

interface Session extends SessionCounters {
  seenAt: number;
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

export class MemoryTelemetryStore implements TelemetryStore {
  private readonly streamsByName = new Map<string, StreamAggregates>();

  async record(beat: Beat, now: number): Promise<RecordOutcome> {
    let stream = this.streamsByName.get(beat.stream);
    if (!stream) {
      stream = { lastSeen: now, trimmedAt: 0, buckets: new Map(), sessions: new Map(), active: new Map(), latency: new Map(), startup: new Map() };
      this.streamsByName.set(beat.stream, stream);
    }
    this.trim(stream, now);
    const previous = stream.sessions.get(beat.sid);
    if (previous && beat.seq <= previous.seq) return 'stale';
    stream.lastSeen = now;

    const deltas = beatDeltas(beat, previous);
    const add = (start: number, field: string, value: number) => {
      if (value === 0) return;
      let fields = stream.buckets.get(start);
      if (!fields) stream.buckets.set(start, (fields = {}));
      fields[field] = (fields[field] ?? 0) + value;
    };
    const current = bucketStart(now);
    add(current, 'beats', 1);
    add(current, 'http', deltas.http);
    add(current, 'p2p', deltas.p2p);
    add(current, 'up', deltas.up);
    add(current, 'stall', deltas.stall);
    add(current, 'stalls', deltas.stalls);
    add(current, 'errors', deltas.errors);
    add(current, 'peers', beat.peers);
    if (beat.latencyMs !== null) {
      add(current, 'lat', beat.latencyMs);
      add(current, 'latn', 1);
    }
    for (const [start, ms] of spreadOverBuckets(now, deltas.watch)) {
      add(start, 'watch', ms);
      add(start, renditionField(beat.rendition), ms);
    }

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
    for (const [name, stream] of this.streamsByName) if (stream.lastSeen <= now - RETENTION_MS) this.streamsByName.delete(name);
    return [...this.streamsByName].sort(([, a], [, b]) => b.lastSeen - a.lastSeen).slice(0, limit).map(([name]) => name);
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
    this.streamsByName.clear();
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
