/**
 * Where audience aggregates live: its own small interface, separate from the swarm store
 * (`../store/store.ts`), because it shares nothing with signalling but the Redis server.
 * `MemoryTelemetryStore` serves one instance; `RedisTelemetryStore` lets every tracker instance
 * behind a load balancer aggregate into one view. Both apply the rules in `aggregate.ts`.
 */
import type { Beat } from './beat-schema.ts';
import type { StreamState } from './aggregate.ts';

/** `stale`: the session already had a beat with this `seq` or a later one; nothing was added. */
export type RecordOutcome = 'accepted' | 'stale';

export interface TelemetryStore {
  record(beat: Beat, now: number): Promise<RecordOutcome>;
  /** Streams with a beat within the window, most recently seen first, at most `limit`. */
  streams(now: number, limit: number): Promise<string[]>;
  /** Null for a stream without a beat in the window. */
  read(stream: string, now: number): Promise<StreamState | null>;
  close(): Promise<void>;
}
