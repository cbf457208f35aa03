/**
 * Where audience aggregates live: its own small interface, separate from the swarm store
 * (`../store/store.ts`), because it shares nothing with signaling but the Redis server.
 * `MemoryTelemetryStore` serves one instance; `RedisTelemetryStore` lets every tracker instance
 * behind a load balancer aggregate into one view. Both apply the rules in `aggregate.ts` and
 * hold at most `maxStreams` streams of at most `maxSessionsPerStream` sessions each.
 */
import type { Beat } from '@swarmcast/protocol/beat-schema';
import type { StreamState } from './aggregate.ts';

/**
 * `stale`: the session already had a beat with this `seq` or a later one; nothing was added.
 * `overflow`: a bucket sum would pass `MAX_BUCKET_VALUE`; nothing was added.
 * `too_many_sessions`: a new session from an address that holds `maxSessionsPerAddress` of the stream's; nothing was added.
 */
export type RecordOutcome = 'accepted' | 'stale' | 'overflow' | 'too_many_sessions';

/**
 * Segment bytes one beat added to its stream's sums: its deltas against what was counted for its
 * session, bounded as `beatDeltas` bounds them. All 0 unless the beat was accepted.
 */
export interface AcceptedBytes {
  http: number;
  p2p: number;
  up: number;
}

export interface RecordResult {
  outcome: RecordOutcome;
  bytes: AcceptedBytes;
}

/** What a beat that was not accepted added. */
export const NO_BYTES: AcceptedBytes = Object.freeze({ http: 0, p2p: 0, up: 0 });

export type EvictionKind = 'stream' | 'session';

export interface TelemetryStoreLimits {
  /** Top bitrate of any stream's ladder, bits/s: bounds the bytes one beat may add. */
  topBitrate: number;
  /** Streams held; a new one beyond this evicts the lowest-ranked (see `streams`). */
  maxStreams: number;
  /** Sessions held per stream; a new one beyond this evicts the one silent longest. */
  maxSessionsPerStream: number;
  /**
   * Sessions one address (IPv6: /64) holds per stream; a new one beyond this is refused. A session
   * holds its place until `ACTIVE_MS` after its last beat, ended or not, so ending sessions to
   * start new ones gains nothing.
   */
  maxSessionsPerAddress: number;
  /** Called for every stream or session evicted to make room. */
  onEviction: (kind: EvictionKind) => void;
}

export interface TelemetryStore {
  /**
   * Applies `beat` atomically (all of it or nothing) and says what it added. `address`: the
   * client's, as per-address limits count it (`limitKey`).
   */
  record(beat: Beat, now: number, address: string): Promise<RecordResult>;
  /**
   * Streams with a beat within the window, at most `limit`: by verified watch time over the last
   * `RANK_MS` (see `aggregate.ts`), then most recently seen first.
   */
  streams(now: number, limit: number): Promise<string[]>;
  /** Null for a stream without a beat in the window. */
  read(stream: string, now: number): Promise<StreamState | null>;
  close(): Promise<void>;
}
