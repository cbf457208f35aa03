/** The events a player emits, and a tiny typed emitter for them. */
import type { FallbackReason } from './policy.ts';
import type { SegmentSource, SwarmcastStats } from './stats.ts';

export interface PeerEvent {
  peerId: string;
  state: 'connected' | 'closed';
  /** Peers connected after this change. */
  peers: number;
}

export interface SegmentEvent {
  url: string;
  source: SegmentSource;
  bytes: number;
  /** The peer it came from (P2P only). */
  peerId?: string;
}

export interface FallbackEvent {
  /**
   * A session-level reason (the player now plays from the origin only; also in `stats().fallbackReason`),
   * or `'integrity'`: one segment from a peer failed its SHA-256 check, its data was dropped, the
   * peer banned for the session and the segment is fetched again.
   */
  reason: FallbackReason | 'integrity';
  url?: string;
  peerId?: string;
}

export interface ErrorEvent {
  /** `hls` (from hls.js), `integrity` (a peer sent altered data), `tracker`, `unsupported`. */
  code: 'hls' | 'integrity' | 'tracker' | 'token' | 'unsupported';
  message: string;
  /** Whether playback stopped because of it (the player already tried to recover). */
  fatal: boolean;
}

export interface SwarmcastEventMap {
  /** Every `statsIntervalMs` (1 s by default). */
  stats: SwarmcastStats;
  peer: PeerEvent;
  segment: SegmentEvent;
  fallback: FallbackEvent;
  error: ErrorEvent;
}

export type SwarmcastEventName = keyof SwarmcastEventMap;
export type Listener<K extends SwarmcastEventName> = (event: SwarmcastEventMap[K]) => void;

export class Emitter {
  private readonly listeners = new Map<SwarmcastEventName, Set<(event: never) => void>>();

  on<K extends SwarmcastEventName>(name: K, listener: Listener<K>): void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
  }

  off<K extends SwarmcastEventName>(name: K, listener: Listener<K>): void {
    this.listeners.get(name)?.delete(listener);
  }

  emit<K extends SwarmcastEventName>(name: K, event: SwarmcastEventMap[K]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as Listener<K>)(event);
      } catch (error) {
        // A throwing listener must not break playback or the other listeners.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
