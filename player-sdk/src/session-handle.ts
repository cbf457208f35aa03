/** The page's side of a session: counters, events, the quality and latency controls, and the way out. */
import type Hls from 'hls.js';
import type { Emitter, Listener, SwarmcastEventName } from './events.ts';
import { LIVE_LATENCY_SLACK_SEC } from './loading-policy.ts';
import { checkLevel, checkLiveLatency, type ResolvedOptions } from './options.ts';
import type { SwarmcastStats } from './stats.ts';

/** A rendition of the stream, as the quality API lists it. */
export interface QualityLevel {
  index: number;
  width: number;
  height: number;
  /** Bits per second, from the playlist. */
  bitrate: number;
  name?: string;
}

/**
 * p2p-media-loader's `HlsJsP2PEngine` of a session, for what Swarmcast does not wrap: its own
 * listeners (`addEventListener('onSegmentLoaded', …)`, p2p-media-loader's `CoreEventMap` names),
 * `getConfig()`, and `applyDynamicConfig()` of the options that pass through (see the README's
 * table). Not supported through it: changing options the policy owns (it re-plans the windows
 * every second and would undo the change; `isP2PDisabled` would open peers before the integrity
 * manifest is in), `bindHls`, and `destroy` (destroy the player or the handle). Typed here
 * rather than imported: p2p-media-loader is bundled inside the SDK, not a dependency of its users.
 */
export interface P2PEngineAccess {
  addEventListener(eventName: string, listener: (...args: never[]) => void): void;
  removeEventListener(eventName: string, listener: (...args: never[]) => void): void;
  getConfig(): { core: Readonly<Record<string, unknown>> };
  applyDynamicConfig(config: { core?: Record<string, unknown> }): void;
}

/** What a page holds on to: counters, events, the quality and latency controls, and the way out. */
export interface SwarmcastHandle {
  /** Current counters (the same object the `stats` event carries). */
  stats(): SwarmcastStats;
  /** Adds a listener; returns the function that removes it. */
  on<K extends SwarmcastEventName>(name: K, listener: Listener<K>): () => void;
  /** A listener for the next event of that name only; returns the function that removes it. */
  once<K extends SwarmcastEventName>(name: K, listener: Listener<K>): () => void;
  off<K extends SwarmcastEventName>(name: K, listener: Listener<K>): void;
  /** The stream's renditions (empty until the master playlist has loaded, and in native HLS). */
  levels(): QualityLevel[];
  /** The rendition playing now, or -1 (not yet, or native HLS). */
  readonly currentLevel: number;
  /** Lock a rendition by index, or `'auto'` for adaptive bitrate; switches at the next segment. */
  setLevel(level: number | 'auto'): void;
  /** Live latency target in seconds (hls.js's `liveSyncDuration` and the policy's horizon). */
  setLiveLatency(seconds: number): void;
  /** p2p-media-loader's engine, for what Swarmcast does not wrap; null without P2P (HTTP, native HLS, or before the session starts). */
  readonly engine: P2PEngineAccess | null;
  /** Stops the session: peer connections, timers and telemetry (the hls.js instance is the caller's). */
  destroy(): void;
}

export interface HandleSetup {
  /** The session's copy: the controls change it. */
  options: ResolvedOptions;
  emitter: Emitter;
  /** The session's hls.js instance (null before it is bound, and in native HLS). */
  hls: () => Hls | null;
  engine: P2PEngineAccess | null;
  stats: () => SwarmcastStats;
  replan: () => void;
  destroy: () => void;
}

export function createHandle({ options, emitter, hls: instance, engine, stats, replan, destroy }: HandleSetup): SwarmcastHandle {
  return {
    stats,
    engine,
    on: (name, listener) => emitter.on(name, listener),
    once: (name, listener) => emitter.once(name, listener),
    off: (name, listener) => emitter.off(name, listener),
    levels: () =>
      (instance()?.levels ?? []).map((level, index) => ({ index, width: level.width, height: level.height, bitrate: level.bitrate, ...(level.name ? { name: level.name } : {}) })),
    get currentLevel() {
      return instance()?.currentLevel ?? -1;
    },
    setLevel(level) {
      checkLevel(level);
      options.level = level;
      const hls = instance();
      if (!hls || hls.levels.length === 0) return; // applied at MANIFEST_PARSED
      // nextLevel switches at the next segment boundary, without flushing what is buffered.
      hls.nextLevel = level === 'auto' ? -1 : Math.min(level, hls.levels.length - 1);
    },
    setLiveLatency(seconds) {
      checkLiveLatency(seconds, options.httpFallbackBuffer);
      options.liveLatency = seconds;
      const hls = instance();
      if (hls) Object.assign(hls.config, { liveSyncDuration: seconds, liveMaxLatencyDuration: seconds + LIVE_LATENCY_SLACK_SEC });
      replan();
    },
    destroy,
  };
}
