/**
 * One Swarmcast session on one hls.js instance: p2p-media-loader wired in with the peer-first
 * policy, integrity checks, seeding coordination, stats, events and telemetry. `createPlayer`
 * builds its own hls.js on it; `swarmcastHls` (bring your own player) mixes it into the site's
 * Hls class. It never imports hls.js itself: the instance's class brings `Events` and `ErrorTypes`,
 * so the engine entry does not carry a second copy of hls.js.
 *
 * The <video> and the playlist URL are learnt from hls.js (MEDIA_ATTACHING, MANIFEST_LOADING):
 * a player that builds hls.js itself decides when to attach and what to load.
 */
import type Hls from 'hls.js';
import type { HlsConfig } from 'hls.js';
import { bindCoordination, type CoordinationBinding } from './coordination-binding.ts';
import { recoverFatalErrors } from './error-recovery.ts';
import { Emitter } from './events.ts';
import type { CoreOptions } from './core-options.ts';
import { countHlsFetches } from './hls-fetch-count.ts';
import { listenTo } from './hls-listeners.ts';
import { hlsConfigFor, STALL_MEMORY_MS, uploadAllowed, type FallbackReason, type TransportMode } from './loading-policy.ts';
import type { ResolvedOptions } from './options.ts';
import { createP2PEngine } from './p2p-engine.ts';
import { watchPlayback } from './playback-watch.ts';
import { SeedingPlanner } from './seeding-planner.ts';
import { createHandle, type SwarmcastHandle } from './session-handle.ts';
import { StatsRecorder, type SwarmcastStats } from './stats.ts';
import { defaultSwarmId } from './swarm-identity.ts';
import { startTelemetry } from './telemetry-beacon.ts';
import type { TrackerTokenRenewal, TrackerTokenRenewalSetup } from './token-renewal.ts';
import type { TokenSource } from './token-source.ts';

export type { QualityLevel, SwarmcastHandle } from './session-handle.ts';

export interface SessionSetup {
  /** A copy the session may change (`setLiveLatency`); `src` may be empty until hls.js loads one. */
  options: ResolvedOptions;
  mode: TransportMode;
  /** Why this session is HTTP-only from the start (no WebRTC, p2p off, …); null in P2P mode. */
  reason: FallbackReason | null;
  tokens: TokenSource;
  /** Tracker URLs with the token in them. */
  trackers: string[];
  emitter?: Emitter;
  /**
   * Keeps the tracker token current (`createPlayer` with a `token` callback). A factory rather than
   * an import: the engine entry takes only token strings and leaves the renewal out of its bundle.
   */
  renewTrackerToken?: (setup: TrackerTokenRenewalSetup) => TrackerTokenRenewal;
  /** The page's pass-through p2p-media-loader options (`swarmcastHls`'s per-instance `p2p.core`). */
  core?: CoreOptions;
}

export interface Session {
  /** hls.js settings of the policy; the caller's own settings may override them. */
  readonly hlsConfig: Partial<HlsConfig>;
  /** p2p-media-loader's loaders: they must win over any other config, or no segment reaches a peer. */
  readonly loaderConfig: Partial<HlsConfig>;
  /** Wires the session to the hls.js instance built with the configs above, before it loads anything. */
  bind(hls: Hls): void;
  /** For native HLS (no hls.js): stats and telemetry from the <video> alone. */
  attachMedia(video: HTMLVideoElement): void;
  readonly handle: SwarmcastHandle;
}

export function createSession(setup: SessionSetup): Session {
  const { options, mode, tokens, trackers } = setup;
  const emitter = setup.emitter ?? new Emitter();
  const recorder = new StatsRecorder(() => performance.now());
  const connection = (navigator as Navigator & { connection?: { type?: string } }).connection;
  const uploads = uploadAllowed(options.upload, connection?.type);
  const planner = new SeedingPlanner({ options, p2p: mode === 'p2p', trackers, uploads, onAnswer: () => replan() });
  let reportedReason: FallbackReason | null = null;
  let hls: Hls | null = null;
  let video: HTMLVideoElement | null = null;
  let coordination: CoordinationBinding | null = null;
  let telemetry: { stop(): void } | null = null;
  let destroyed = false;

  const fallbackReason = (): FallbackReason | null => (setup.reason !== null || !p2p ? setup.reason : p2p.fallbackReason());

  const playingLevel = () => (hls ? hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel] : undefined);

  const snapshot = (): SwarmcastStats => {
    const details = playingLevel()?.details;
    const latency = details?.live && hls && video && Number.isFinite(hls.latency) && video.currentTime > 0 ? Math.round(hls.latency * 10) / 10 : null;
    return recorder.snapshot({ liveLatency: latency, bufferAhead: bufferAhead(video), mode, fallbackReason: fallbackReason(), seeding: seeding() });
  };

  const currentSwarm = () => coordination?.swarmOf(playingLevel());

  const seeding = (): SwarmcastStats['seeding'] => {
    const swarm = currentSwarm();
    const role = planner.role(swarm);
    return role === null ? null : { role: role.kind, swarmSize: planner.swarmSize(swarm) };
  };

  const replan = () => {
    if (!p2p) return;
    const details = playingLevel()?.details;
    // The level being played (it changes with ABR): the planner follows that swarm.
    const plan = planner.plan(
      {
        isLive: details?.live ?? true,
        bufferAhead: bufferAhead(video),
        connectedPeers: recorder.peerCount,
        recentStall: recorder.stalledWithin(STALL_MEMORY_MS),
        segmentDuration: details?.targetduration ?? 2,
        sinceStartSec: recorder.ageSec,
      },
      currentSwarm(),
    );
    if (plan) p2p.applyPlan(plan);
  };

  const tick = setInterval(() => {
    replan();
    const stats = snapshot();
    const reason = stats.fallbackReason;
    if (reason !== reportedReason) {
      reportedReason = reason;
      if (reason !== null) emitter.emit('fallback', { reason });
    }
    emitter.emit('stats', stats);
  }, options.statsIntervalMs);

  const p2p = mode === 'p2p' ? createP2PEngine(setup, { planner, recorder, emitter, currentSwarm, replan }) : null;
  /** What the session undoes when it is destroyed, after the last telemetry beat. */
  const parts: Array<{ destroy(): void }> = p2p ? [p2p] : [];

  /** The playlist URL is known: the integrity manifest sits next to it, telemetry names the stream after it. */
  const sourceKnown = (url: string) => {
    if (!options.src) options.src = url;
    if (options.telemetry && !options.telemetry.stream) options.telemetry = { ...options.telemetry, stream: options.swarmId ?? defaultSwarmId(options.src) };
    startTelemetryOnce();
    p2p?.startIntegrityCheck();
  };

  /** Beats need the <video> and the stream's name (from the playlist URL): whichever comes last starts them. */
  const startTelemetryOnce = () => {
    if (telemetry || !video || !options.telemetry?.stream) return;
    telemetry = startTelemetry(options.telemetry, { video, stats: snapshot, hls: () => hls, emitter });
  };

  const attachMedia = (media: HTMLVideoElement) => {
    if (video === media || destroyed) return;
    video = media;
    parts.push(watchPlayback(media, recorder));
    startTelemetryOnce();
  };

  const bind = (instance: Hls) => {
    hls = instance;
    const { Events } = instance.constructor as typeof Hls;
    p2p?.bind(instance);
    parts.push({
      destroy: listenTo(instance, {
        [Events.MANIFEST_LOADING]: (_event, data) => sourceKnown(data.url),
        [Events.MEDIA_ATTACHING]: (_event, data) => attachMedia(data.media as HTMLVideoElement),
        [Events.MANIFEST_PARSED]: () => {
          if (options.level !== 'auto') instance.loadLevel = Math.min(options.level, instance.levels.length - 1);
        },
      }),
    });
    if (instance.media) attachMedia(instance.media as HTMLVideoElement);
    if (planner.coordinated) parts.push((coordination = bindCoordination(instance, options, planner, replan)));
    parts.push(recoverFatalErrors(instance, emitter), countHlsFetches(instance, p2p?.engine ?? null, recorder, emitter));
  };

  const handle = createHandle({
    options,
    emitter,
    hls: () => hls,
    engine: p2p?.engine ?? null,
    stats: snapshot,
    replan,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      planner.stop();
      clearInterval(tick);
      // The last beat counts the peers still connected: before the engine closes them.
      telemetry?.stop();
      for (const part of parts) part.destroy();
      emitter.clear();
    },
  });

  return { hlsConfig: sessionHlsConfig(options, tokens), loaderConfig: p2p?.loaderConfig ?? {}, bind, attachMedia, handle };
}

function sessionHlsConfig(options: ResolvedOptions, tokens: TokenSource): Partial<HlsConfig> {
  const hlsConfig: Partial<HlsConfig> = { ...hlsConfigFor(options) };
  if (options.level !== 'auto') hlsConfig.startLevel = options.level;
  // Playlists (and segments without P2P) go through hls.js's XHR loader. The token goes in a header:
  // in the URL it would change the playlists' responseURL, which p2p-media-loader matches against the
  // master's level URLs, and every segment would then bypass it (no peers, no tracker).
  if (options.originToken) {
    hlsConfig.xhrSetup = async (xhr, url) => {
      const current = await tokens.fresh();
      xhr.open('GET', url, true);
      if (current) xhr.setRequestHeader('Authorization', `Bearer ${current}`);
    };
  }
  return hlsConfig;
}

function bufferAhead(video: HTMLVideoElement | null): number {
  if (!video) return 0;
  const { buffered, currentTime } = video;
  for (let i = 0; i < buffered.length; i++) {
    if (buffered.start(i) <= currentTime + 0.1 && currentTime < buffered.end(i)) return Math.round((buffered.end(i) - currentTime) * 10) / 10;
  }
  return 0;
}
