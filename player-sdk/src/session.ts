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
import type { ErrorData, HlsConfig } from 'hls.js';
import type { CoreEventMap } from 'p2p-media-loader-core';
import { HlsJsP2PEngine } from 'p2p-media-loader-hlsjs';
import { Emitter, errorMessage, type Listener, type SwarmcastEventName } from './events.ts';
import { levelInfoHash } from './hls-swarm.ts';
import { fetchManifestJson } from './integrity.ts';
import { integrityCheckFor, type IntegrityCheck } from './integrity-check.ts';
import { checkLevel, checkLiveLatency, type ResolvedOptions } from './options.ts';
import { hlsConfigFor, initialCoreConfig, LIVE_LATENCY_SLACK_SEC, STALL_MEMORY_MS, uploadAllowed, type FallbackReason, type TransportMode } from './policy.ts';
import { SeedingPlanner } from './seeding-planner.ts';
import { StatsRecorder, type SwarmcastStats } from './stats.ts';
import { defaultSwarmId } from './swarm-identity.ts';
import { startTelemetry } from './telemetry-beacon.ts';
import type { TrackerTokenRenewal, TrackerTokenRenewalSetup } from './token-renewal.ts';
import type { TokenSource } from './token-source.ts';

/** A rendition of the stream, as the quality API lists it. */
export interface QualityLevel {
  index: number;
  width: number;
  height: number;
  /** Bits per second, from the playlist. */
  bitrate: number;
  name?: string;
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
  /** Stops the session: peer connections, timers and telemetry (the hls.js instance is the caller's). */
  destroy(): void;
}

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

/** Segments p2p-media-loader loaded ahead that hls.js may still ask for (a minute of live segments is far fewer). */
const MAX_COUNTED_SEGMENTS = 256;
/** hls.js fatal errors the session recovers from before it gives up. */
const MAX_RECOVERIES = 3;
/** What a tracker error says when p2p-media-loader reports one without a message. */
const TRACKER_FAILED = 'tracker connection failed';

export function createSession(setup: SessionSetup): Session {
  const { options, mode, tokens, trackers } = setup;
  const emitter = setup.emitter ?? new Emitter();
  const recorder = new StatsRecorder(() => performance.now());
  let reportedReason: FallbackReason | null = null;
  let trackerFailed = false;
  let hls: Hls | null = null;
  let video: HTMLVideoElement | null = null;
  let integrity: IntegrityCheck | null = null;
  let telemetry: { stop(): void } | null = null;
  let recoveries = 0;
  let destroyed = false;
  /** info_hash of each level's swarm, by level URL (filled when the master playlist arrives). */
  const levelSwarms = new Map<string, string>();
  const cleanups: Array<() => void> = [];
  /** Segments p2p-media-loader reported (and counted) that hls.js has not taken yet. */
  const countedByEngine = new Set<string>();

  const planner = new SeedingPlanner({ options, p2p: mode === 'p2p', trackers, onAnswer: () => replan() });
  cleanups.push(() => planner.stop());

  const fallbackReason = (): FallbackReason | null => {
    if (setup.reason !== null || mode !== 'p2p') return setup.reason;
    if (integrity?.holdsPeersOff) return 'integrity-manifest-unavailable';
    if (recorder.peerCount > 0) return null;
    return trackerFailed ? 'tracker-unreachable' : 'no-peers';
  };

  const playingLevel = () => (hls ? hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel] : undefined);

  const snapshot = (): SwarmcastStats => {
    const details = playingLevel()?.details;
    const latency = details?.live && hls && video && Number.isFinite(hls.latency) && video.currentTime > 0 ? Math.round(hls.latency * 10) / 10 : null;
    return recorder.snapshot({ liveLatency: latency, bufferAhead: bufferAhead(video), mode, fallbackReason: fallbackReason(), seeding: seeding() });
  };

  const currentSwarm = (): string | undefined => {
    const level = playingLevel();
    return level ? levelSwarms.get(level.uri) : undefined;
  };

  const seeding = (): SwarmcastStats['seeding'] => {
    const swarm = currentSwarm();
    const role = planner.role(swarm);
    return role === null ? null : { role: role.kind, swarmSize: planner.swarmSize(swarm) };
  };

  const replan = () => {
    if (!engine) return;
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
    if (plan) engine.applyDynamicConfig({ core: plan });
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
  cleanups.push(() => clearInterval(tick));

  const engine = mode === 'p2p' ? createEngine() : null;
  const renewal =
    engine && setup.renewTrackerToken
      ? setup.renewTrackerToken({ engine, tokens, trackers: options.trackers.map((tracker) => planner.proving(tracker)), onRenewed: (renewed) => planner.useTracker(renewed[0]!) })
      : null;
  if (renewal) cleanups.push(() => renewal.stop());

  function createEngine(): HlsJsP2PEngine {
    const connection = (navigator as Navigator & { connection?: { type?: string } }).connection;
    const p2pEngine = new HlsJsP2PEngine({
      core: {
        ...initialCoreConfig(options),
        // Only coordination needs to know its peer_id; otherwise p2p-media-loader draws its own.
        ...planner.coreIdentity(trackers),
        rtcConfig: options.rtcConfig,
        // Segments over HTTP are fetched by p2p-media-loader, not hls.js: the same request, with the token.
        ...(options.originToken
          ? {
              httpRequestSetup: async (url: string, _segmentRange: unknown, signal: AbortSignal, range: { start: number; end?: number } | undefined) =>
                new Request(await tokens.originUrl(url), { signal, headers: range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {} }),
            }
          : {}),
        ...(options.swarmId === undefined ? {} : { swarmId: options.swarmId }),
        isP2PUploadDisabled: !uploadAllowed(options.upload, connection?.type),
        // Peers wait for the manifest (loaded with the playlist): until it is in, nothing they send could be checked.
        ...(options.integrity === false
          ? {}
          : {
              isP2PDisabled: true,
              validateP2PSegment: (url: string, range: unknown, data: ArrayBuffer) => integrity?.validateP2P(url, range, data) ?? Promise.resolve(true),
              validateHTTPSegment: (url: string, range: unknown, data: ArrayBuffer) => integrity?.validateHttp(url, range, data) ?? Promise.resolve(true),
            }),
      },
    });
    const handlers: Partial<CoreEventMap> = {
      onChunkDownloaded: (bytes, source) => recorder.downloaded(bytes, source),
      onChunkUploaded: (bytes) => recorder.uploaded(bytes),
      onSegmentStart: ({ segment, downloadSource, peerId }) => {
        if (downloadSource === 'p2p' && peerId) integrity?.peerStarted(segment.url, peerId);
      },
      onSegmentLoaded: ({ segmentUrl, bytesLength, downloadSource, peerId }) => {
        countedByEngine.add(segmentUrl);
        if (countedByEngine.size > MAX_COUNTED_SEGMENTS) countedByEngine.delete(countedByEngine.values().next().value!);
        recorder.segmentLoaded(downloadSource);
        if (downloadSource === 'http') planner.originFetch(currentSwarm(), recorder.peerCount);
        emitter.emit('segment', { url: segmentUrl, source: downloadSource, bytes: bytesLength, ...(peerId ? { peerId } : {}) });
      },
      onPeerConnect: ({ peerId }) => {
        recorder.peerConnected(peerId);
        trackerFailed = false;
        emitter.emit('peer', { peerId, state: 'connected', peers: recorder.peerCount });
        replan();
      },
      onPeerClose: ({ peerId }) => {
        recorder.peerClosed(peerId);
        emitter.emit('peer', { peerId, state: 'closed', peers: recorder.peerCount });
        replan();
      },
      // bittorrent-tracker reports a refused WebSocket as a warning, not an error.
      onTrackerWarning: ({ warning }) => {
        trackerFailed = true;
        emitter.emit('error', { code: 'tracker', message: errorMessage(warning, TRACKER_FAILED), fatal: false });
      },
      onTrackerError: ({ error }) => {
        trackerFailed = true;
        emitter.emit('error', { code: 'tracker', message: errorMessage(error, TRACKER_FAILED), fatal: false });
      },
    };
    for (const [name, handler] of Object.entries(handlers)) p2pEngine.addEventListener(name as keyof CoreEventMap, handler as never);
    return p2pEngine;
  }

  /** The playlist URL is known: the integrity manifest sits next to it, telemetry names the stream after it. */
  const sourceKnown = (url: string) => {
    if (!options.src) options.src = url;
    if (options.telemetry && !options.telemetry.stream) options.telemetry = { ...options.telemetry, stream: options.swarmId ?? defaultSwarmId(options.src) };
    startTelemetryOnce();
    if (engine && !integrity && options.integrity !== false) {
      const check = integrityCheckFor(options, {
        fetchJson: async (manifestUrl) => fetchManifestJson(await tokens.originUrl(manifestUrl)),
        stats: recorder.integrity,
        emitter,
        onPeersAllowed: () => engine.applyDynamicConfig({ core: { isP2PDisabled: false } }),
      });
      integrity = check;
      if (check) cleanups.push(() => check.stop());
    }
  };

  /** Beats need the <video> and the stream's name (from the playlist URL): whichever comes last starts them. */
  const startTelemetryOnce = () => {
    if (telemetry || !video || !options.telemetry?.stream) return;
    const beacon = startTelemetry(options.telemetry, { video, stats: snapshot, hls: () => hls, emitter });
    telemetry = beacon;
    cleanups.push(() => beacon.stop());
  };

  const attachMedia = (media: HTMLVideoElement) => {
    if (video === media || destroyed) return;
    video = media;
    const listen = <K extends keyof HTMLMediaElementEventMap>(name: K, handler: () => void) => {
      media.addEventListener(name, handler);
      cleanups.push(() => media.removeEventListener(name, handler));
    };
    listen('playing', () => recorder.playing());
    listen('timeupdate', () => {
      if (!media.paused && media.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA) recorder.playing();
    });
    listen('waiting', () => {
      if (!media.seeking) recorder.waiting();
    });
    listen('seeking', () => recorder.interrupted());
    listen('pause', () => recorder.interrupted());
    startTelemetryOnce();
  };

  const onHlsError = (data: ErrorData) => {
    if (!data.fatal || !hls) return;
    const message = `${data.type}: ${data.details}`;
    if (recoveries < MAX_RECOVERIES) {
      recoveries++;
      emitter.emit('error', { code: 'hls', message, fatal: false });
      if (data.type === (hls.constructor as typeof Hls).ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      else hls.startLoad();
      return;
    }
    emitter.emit('error', { code: 'hls', message, fatal: true });
  };

  const bind = (instance: Hls) => {
    hls = instance;
    const { Events } = instance.constructor as typeof Hls;
    engine?.bindHls(instance);
    renewal?.watch(instance);
    instance.on(Events.MANIFEST_LOADING, (_event, data) => sourceKnown(data.url));
    instance.on(Events.MEDIA_ATTACHING, (_event, data) => attachMedia(data.media as HTMLVideoElement));
    if (instance.media) attachMedia(instance.media as HTMLVideoElement);
    if (planner.coordinated) {
      // Live or VOD is known now, before the first segment request: plan for it rather than a second later.
      instance.once(Events.LEVEL_LOADED, () => replan());
      instance.on(Events.MANIFEST_LOADED, (_event, data) => {
        // p2p-media-loader names swarms after the response URL (after redirects), as here.
        const details: unknown = data.networkDetails;
        const responseUrl = details instanceof XMLHttpRequest ? details.responseURL : details instanceof Response ? details.url : data.url;
        const swarmId = options.swarmId ?? defaultSwarmId(responseUrl);
        for (const level of data.levels) levelSwarms.set(level.url, levelInfoHash(swarmId, level));
        // Ask now, while the level playlist loads: the answer should be in before the first segment request.
        const first = data.levels[options.level === 'auto' ? 0 : Math.min(options.level, data.levels.length - 1)];
        if (first) planner.follow(levelSwarms.get(first.url));
      });
    }
    instance.on(Events.MANIFEST_PARSED, () => {
      if (options.level !== 'auto') instance.loadLevel = Math.min(options.level, instance.levels.length - 1);
    });
    instance.on(Events.ERROR, (_event, data) => onHlsError(data));
    // What hls.js fetched itself is counted here: everything without p2p-media-loader, and with it
    // whatever its loader hands to hls.js's own (a segment its core does not know, as after an origin
    // outage, or while peers are held off), which raises no p2p-media-loader event.
    instance.on(Events.FRAG_LOADED, (_event, { frag }) => {
      if (countedByEngine.delete(frag.url)) return;
      recorder.downloaded(frag.stats.loaded, 'http');
      recorder.segmentLoaded('http');
      emitter.emit('segment', { url: frag.url, source: 'http', bytes: frag.stats.loaded });
    });
  };

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

  const handle: SwarmcastHandle = {
    stats: snapshot,
    on: (name, listener) => emitter.on(name, listener),
    once: (name, listener) => emitter.once(name, listener),
    off: (name, listener) => emitter.off(name, listener),
    levels: () =>
      (hls?.levels ?? []).map((level, index) => ({ index, width: level.width, height: level.height, bitrate: level.bitrate, ...(level.name ? { name: level.name } : {}) })),
    get currentLevel() {
      return hls?.currentLevel ?? -1;
    },
    setLevel(level) {
      checkLevel(level);
      options.level = level;
      if (!hls || hls.levels.length === 0) return; // applied at MANIFEST_PARSED
      // nextLevel switches at the next segment boundary, without flushing what is buffered.
      hls.nextLevel = level === 'auto' ? -1 : Math.min(level, hls.levels.length - 1);
    },
    setLiveLatency(seconds) {
      checkLiveLatency(seconds, options.httpFallbackBuffer);
      options.liveLatency = seconds;
      if (hls) Object.assign(hls.config, { liveSyncDuration: seconds, liveMaxLatencyDuration: seconds + LIVE_LATENCY_SLACK_SEC });
      replan();
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const cleanup of cleanups) cleanup();
      engine?.destroy();
      emitter.clear();
    },
  };

  return { hlsConfig, loaderConfig: (engine?.getConfigForHlsJs() ?? {}) as Partial<HlsConfig>, bind, attachMedia, handle };
}

function bufferAhead(video: HTMLVideoElement | null): number {
  if (!video) return 0;
  const { buffered, currentTime } = video;
  for (let i = 0; i < buffered.length; i++) {
    if (buffered.start(i) <= currentTime + 0.1 && currentTime < buffered.end(i)) return Math.round((buffered.end(i) - currentTime) * 10) / 10;
  }
  return 0;
}
