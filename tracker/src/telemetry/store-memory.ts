/** Audience aggregates in this process: the default, for a single tracker instance. */
import type { Beat } from '@swarmcast/protocol/beat-schema';
import {
  ACTIVE_MS,
  beatAdditions,
  beatDeltas,
  BUCKET_MS,
  bucketStart,
  countedLatency,
  countedStartup,
  firstBucket,
  firstRankedBucket,
  MAX_BUCKET_VALUE,
  percentilesOf,
  RETENTION_MS,
  sessionAfter,
  type PreviousBeat,
  type StreamState,
} from './aggregate.ts';
import { NO_BYTES, type RecordOutcome, type RecordResult, type TelemetryStore, type TelemetryStoreLimits } from './store.ts';

interface Session extends PreviousBeat {
  startupRecorded: boolean;
  /** The address of its first beat: the one whose `maxSessionsPerAddress` it counts against. */
  address: string;
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
  /** Address → its sessions' last beats, in beat order; a session leaves when it is trimmed or evicted. */
  addresses: Map<string, Map<string, number>>;
}

const refused = (outcome: Exclude<RecordOutcome, 'accepted'>): RecordResult => ({ outcome, bytes: NO_BYTES });

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

  async record(beat: Beat, now: number, address: string): Promise<RecordResult> {
    let stream = this.streamsByName.get(beat.stream);
    if (!stream) {
      if (this.streamsByName.size >= this.limits.maxStreams) this.evictStream(now);
      stream = { lastSeen: now, trimmedAt: 0, buckets: new Map(), sessions: new Map(), active: new Map(), latency: new Map(), startup: new Map(), addresses: new Map() };
      this.streamsByName.set(beat.stream, stream);
    }
    this.trim(stream, now);
    const previous = stream.sessions.get(beat.sid);
    if (previous && beat.seq <= previous.seq) return refused('stale');
    const sessionAddress = previous?.address ?? address;
    if (!this.mayHold(stream, sessionAddress, beat.sid, now)) return refused('too_many_sessions');

    const deltas = beatDeltas(beat, previous, now, this.limits.topBitrate);
    const additions = beatAdditions(beat, deltas, now, (start) => stream.buckets.get(start));
    const sum = (start: number, field: string) => stream.buckets.get(start)?.[field] ?? 0;
    if (additions.some(([start, field, value]) => sum(start, field) + value > MAX_BUCKET_VALUE)) return refused('overflow');
    for (const [start, field, value] of additions) {
      let fields = stream.buckets.get(start);
      if (!fields) stream.buckets.set(start, (fields = {}));
      fields[field] = sum(start, field) + value;
    }
    stream.lastSeen = now;
    this.streamsByName.delete(beat.stream);
    this.streamsByName.set(beat.stream, stream);

    if (!previous && stream.sessions.size >= this.limits.maxSessionsPerStream) this.evictSession(stream);
    const startup = countedStartup(beat);
    const startupRecorded = previous?.startupRecorded === true || startup !== null;
    if (startup !== null && !previous?.startupRecorded) stream.startup.set(beat.sid, { ms: startup, at: now });
    stream.sessions.delete(beat.sid);
    stream.sessions.set(beat.sid, { ...sessionAfter(beat, previous, deltas, now), startupRecorded, address: sessionAddress });
    let held = stream.addresses.get(sessionAddress);
    if (!held) stream.addresses.set(sessionAddress, (held = new Map()));
    held.delete(beat.sid);
    held.set(beat.sid, now);
    stream.active.delete(beat.sid);
    const latency = countedLatency(beat);
    if (beat.end) {
      stream.latency.delete(beat.sid);
    } else {
      stream.active.set(beat.sid, now);
      if (latency === null) stream.latency.delete(beat.sid);
      else stream.latency.set(beat.sid, latency);
    }
    return { outcome: 'accepted', bytes: { http: deltas.http, p2p: deltas.p2p, up: deltas.up } };
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
    const [sid, session] = stream.sessions.entries().next().value ?? [];
    if (sid === undefined || session === undefined) return;
    this.forgetAddress(stream, sid, session);
    for (const sessions of [stream.sessions, stream.active, stream.latency, stream.startup]) sessions.delete(sid);
    this.limits.onEviction('session');
  }

  /**
   * Whether `sid` holds, or may take, one of the places of `address` in `stream`: a session holds
   * one until `ACTIVE_MS` after its last beat, ended or not; one back after that needs a free place
   * again, or an address could keep every session it ever started.
   */
  private mayHold(stream: StreamAggregates, address: string, sid: string, now: number): boolean {
    const held = stream.addresses.get(address);
    if (!held) return true;
    for (const [heldSid, at] of held) {
      if (at > now - ACTIVE_MS) break;
      held.delete(heldSid);
    }
    if (held.size === 0) stream.addresses.delete(address);
    return held.has(sid) || held.size < this.limits.maxSessionsPerAddress;
  }

  private forgetAddress(stream: StreamAggregates, sid: string, session: Session): void {
    const held = stream.addresses.get(session.address);
    held?.delete(sid);
    if (held?.size === 0) stream.addresses.delete(session.address);
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
      this.forgetAddress(stream, sid, session);
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
