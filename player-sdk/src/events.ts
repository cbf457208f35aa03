/** The events a player emits, and a tiny typed emitter for them. */
import type { FallbackReason } from './loading-policy.ts';
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

/**
 * p2p-media-loader's events, forwarded one for one (`onSegmentStart` → `segmentstart`, …; the
 * README's migration section has the table). `streamType` is p2p-media-loader's: `main` (video,
 * or muxed) or `secondary` (alternate audio).
 */
export type StreamType = 'main' | 'secondary';

/** A segment request started (p2p-media-loader's `onSegmentStart`). */
export interface SegmentStartEvent {
  url: string;
  source: SegmentSource;
  /** The peer asked (P2P only). */
  peerId?: string;
}

/** A segment request failed (`onSegmentError`); it is retried or fetched elsewhere, as p2p-media-loader decides. */
export interface SegmentErrorEvent {
  url: string;
  source: SegmentSource;
  peerId?: string;
  streamType: StreamType;
  /** p2p-media-loader's `RequestError` type: `http-error`, `peer-closed`, `p2p-segment-validation-failed`, `bytes-receiving-timeout`, … */
  reason: string;
  message: string;
}

/** A segment request was given up (`onSegmentAbort`): hls.js no longer wants it, or it moved to another source. */
export interface SegmentAbortEvent {
  url: string;
  /** null: aborted before any source was chosen. */
  source: SegmentSource | null;
  peerId?: string;
  streamType: StreamType;
}

/** A peer connection failed (`onPeerError`); a `peer` event with `closed` follows when it was connected. */
export interface PeerErrorEvent {
  peerId: string;
  streamType: StreamType;
  message: string;
}

/** Bytes of a segment arrived (`onChunkDownloaded`): one data-channel message from a peer, or one read from the origin. */
export interface ChunkDownloadEvent {
  bytes: number;
  source: SegmentSource;
  peerId?: string;
}

/** Bytes of a segment sent to a peer (`onChunkUploaded`). */
export interface ChunkUploadEvent {
  bytes: number;
  peerId: string;
}

/** The tracker failed or warned (`onTrackerError`, `onTrackerWarning`); an `error` event with code `tracker` comes with it. */
export interface TrackerEvent {
  streamType: StreamType;
  message: string;
}

export interface FallbackEvent {
  /**
   * A session-level reason (the player now plays from the origin only; also in `stats().fallbackReason`),
   * or `'integrity'`: one segment peers contributed to did not pass its SHA-256 check (`verdict`),
   * its data was dropped and the segment is fetched again.
   */
  reason: FallbackReason | 'integrity';
  /**
   * With `'integrity'`: `altered` (the hash differs; the peer, when it alone sent the segment, is
   * banned for the session) or `unknown` (the manifest does not list the segment, or has not loaded).
   */
  verdict?: 'altered' | 'unknown';
  url?: string;
  peerId?: string;
}

export interface SwarmcastErrorEvent {
  /** `hls` (from hls.js), `integrity` (a peer sent altered data), `tracker`, `token`, `unsupported`, `options` (`<swarmcast-player>` attributes that are not valid). */
  code: 'hls' | 'integrity' | 'tracker' | 'token' | 'unsupported' | 'options';
  message: string;
  /** Whether playback stopped because of it (the player already tried to recover). */
  fatal: boolean;
}

export interface SwarmcastEventMap {
  /** Every `statsIntervalMs` (1 s by default). */
  stats: SwarmcastStats;
  /** A peer connected or closed (p2p-media-loader's `onPeerConnect`, `onPeerClose`). */
  peer: PeerEvent;
  /** A segment loaded (p2p-media-loader's `onSegmentLoaded`; hls.js's own loads in HTTP mode). */
  segment: SegmentEvent;
  fallback: FallbackEvent;
  error: SwarmcastErrorEvent;
  segmentstart: SegmentStartEvent;
  segmenterror: SegmentErrorEvent;
  segmentabort: SegmentAbortEvent;
  peererror: PeerErrorEvent;
  chunkdownload: ChunkDownloadEvent;
  chunkupload: ChunkUploadEvent;
  trackererror: TrackerEvent;
  trackerwarning: TrackerEvent;
}

export type SwarmcastEventName = keyof SwarmcastEventMap;

/** The message of an `error` event for something thrown or reported: its own text, else `otherwise`. */
export function errorMessage(error: unknown, otherwise: string): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return otherwise;
}
export type Listener<K extends SwarmcastEventName> = (event: SwarmcastEventMap[K]) => void;

export class Emitter {
  private readonly listeners = new Map<SwarmcastEventName, Set<(event: never) => void>>();

  /** Adds a listener; returns the function that removes it. */
  on<K extends SwarmcastEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => this.off(name, listener);
  }

  /** A listener for the next event of this name only; returns the function that removes it. */
  once<K extends SwarmcastEventName>(name: K, listener: Listener<K>): () => void {
    const unsubscribe = this.on(name, (event) => {
      unsubscribe();
      listener(event);
    });
    return unsubscribe;
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
