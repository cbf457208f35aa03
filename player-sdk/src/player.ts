/**
 * `createPlayer`: the thin glue between a <video>, hls.js and p2p-media-loader. Decisions live in
 * `policy.ts`, counters in `stats.ts`, hash checks in `integrity.ts`.
 */
import Hls, { type ErrorData, type HlsConfig } from 'hls.js';
import { HlsJsP2PEngine } from 'p2p-media-loader-hlsjs';
import type { CoreEventMap } from 'p2p-media-loader-core';
import { Emitter, type Listener, type SwarmcastEventName } from './events.ts';
import { IntegrityManifest, manifestUrlFor } from './integrity.ts';
import { resolveOptions, type ResolvedOptions, type SwarmcastOptions } from './options.ts';
import {
  chooseTransport,
  hlsConfigFor,
  initialCoreConfig,
  isPeerFirst,
  planLoading,
  STALL_MEMORY_MS,
  uploadAllowed,
  type FallbackReason,
  type TransportMode,
} from './policy.ts';
import { StatsRecorder, type SwarmcastStats } from './stats.ts';

export interface SwarmcastPlayer {
  /** Current counters (the same object the `stats` event carries). */
  stats(): SwarmcastStats;
  on<K extends SwarmcastEventName>(name: K, listener: Listener<K>): void;
  off<K extends SwarmcastEventName>(name: K, listener: Listener<K>): void;
  /** Stops loading, closes peer connections and detaches from the video element. */
  destroy(): void;
  /** The hls.js instance (null in native-HLS mode): an escape hatch, not needed for normal use. */
  readonly hls: Hls | null;
  /** The options after defaults. */
  readonly options: Readonly<ResolvedOptions>;
}

/** hls.js fatal errors the player recovers from before it gives up. */
const MAX_RECOVERIES = 3;

export function createPlayer(video: HTMLVideoElement, input: SwarmcastOptions): SwarmcastPlayer {
  if (!(video instanceof HTMLVideoElement)) throw new TypeError('Swarmcast createPlayer: the first argument must be a <video> element');
  const options = resolveOptions(input, typeof location === 'undefined' ? undefined : location.href);
  const emitter = new Emitter();
  const recorder = new StatsRecorder(() => performance.now());
  const transport = chooseTransport(options, {
    mediaSource: Hls.isSupported(),
    nativeHls: video.canPlayType('application/vnd.apple.mpegurl') !== '',
    webRtc: typeof RTCPeerConnection === 'function',
  });
  const mode: TransportMode = transport.mode === 'unsupported' ? 'http' : transport.mode;
  let sessionReason: FallbackReason | null = transport.reason;
  let reportedReason: FallbackReason | null = null;
  let trackerFailed = false;
  let hls: Hls | null = null;
  let engine: HlsJsP2PEngine | null = null;
  let destroyed = false;
  let recoveries = 0;

  const cleanups: Array<() => void> = [];
  const listen = <K extends keyof HTMLMediaElementEventMap>(name: K, handler: () => void) => {
    video.addEventListener(name, handler);
    cleanups.push(() => video.removeEventListener(name, handler));
  };
  listen('playing', () => recorder.playing());
  listen('timeupdate', () => {
    if (!video.paused && video.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA) recorder.playing();
  });
  listen('waiting', () => {
    if (!video.seeking) recorder.waiting();
  });
  listen('seeking', () => recorder.interrupted());
  listen('pause', () => recorder.interrupted());

  const fallbackReason = (): FallbackReason | null => {
    if (sessionReason !== null || mode !== 'p2p') return sessionReason;
    if (recorder.peerCount > 0) return null;
    return trackerFailed ? 'tracker-unreachable' : 'no-peers';
  };

  const liveDetails = () => {
    if (!hls) return undefined;
    const level = hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel];
    return level?.details;
  };

  const snapshot = (): SwarmcastStats => {
    const details = liveDetails();
    const latency = details?.live && hls && Number.isFinite(hls.latency) && video.currentTime > 0 ? Math.round(hls.latency * 10) / 10 : null;
    return recorder.snapshot({ liveLatency: latency, bufferAhead: bufferAhead(video), mode, fallbackReason: fallbackReason() });
  };

  const replan = () => {
    if (!engine || !isPeerFirst(options.policy)) return;
    const details = liveDetails();
    const plan = planLoading(
      {
        isLive: details?.live ?? true,
        bufferAhead: bufferAhead(video),
        connectedPeers: recorder.peerCount,
        recentStall: recorder.stalledWithin(STALL_MEMORY_MS),
        segmentDuration: details?.targetduration ?? 2,
      },
      options,
      Math.random(),
    );
    engine.applyDynamicConfig({ core: plan });
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

  const start = () => {
    if (transport.mode === 'unsupported') {
      emitter.emit('error', { code: 'unsupported', message: 'this browser has neither Media Source Extensions nor native HLS', fatal: true });
      return;
    }
    if (transport.mode === 'native') {
      video.src = options.src;
      if (options.autoplay) video.play().catch(() => undefined);
      return;
    }
    const hlsConfig: Partial<HlsConfig> = { ...hlsConfigFor(options) };
    if (options.level !== 'auto') hlsConfig.startLevel = options.level;
    if (transport.mode === 'p2p') {
      engine = createEngine();
      Object.assign(hlsConfig, engine.getConfigForHlsJs());
    }
    hls = new Hls({ ...hlsConfig, ...options.hlsConfig });
    engine?.bindHls(hls);
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (options.level !== 'auto' && hls) hls.loadLevel = Math.min(options.level, hls.levels.length - 1);
      if (options.autoplay) video.play().catch(() => undefined);
    });
    hls.on(Hls.Events.ERROR, (_event, data) => onHlsError(data));
    hls.loadSource(options.src);
    hls.attachMedia(video);
  };

  const onHlsError = (data: ErrorData) => {
    if (!data.fatal || !hls) return;
    const message = `${data.type}: ${data.details}`;
    if (recoveries < MAX_RECOVERIES) {
      recoveries++;
      emitter.emit('error', { code: 'hls', message, fatal: false });
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      else hls.startLoad();
      return;
    }
    emitter.emit('error', { code: 'hls', message, fatal: true });
  };

  const createEngine = (): HlsJsP2PEngine => {
    const integrity = integrityCheck(options, recorder, emitter, (reason) => {
      sessionReason = reason;
      engine?.applyDynamicConfig({ core: { isP2PDisabled: true } });
    });
    const connection = (navigator as Navigator & { connection?: { type?: string } }).connection;
    const p2pEngine = new HlsJsP2PEngine({
      core: {
        ...initialCoreConfig(options),
        announceTrackers: options.trackers,
        rtcConfig: options.rtcConfig,
        ...(options.swarmId === undefined ? {} : { swarmId: options.swarmId }),
        isP2PUploadDisabled: !uploadAllowed(options.upload, connection?.type),
        ...(integrity ? { validateP2PSegment: integrity.validate } : {}),
      },
    });
    const handlers: Partial<CoreEventMap> = {
      onChunkDownloaded: (bytes, source) => recorder.downloaded(bytes, source),
      onChunkUploaded: (bytes) => recorder.uploaded(bytes),
      onSegmentStart: ({ segment, downloadSource, peerId }) => {
        if (downloadSource === 'p2p' && peerId) integrity?.sources.set(segment.url, peerId);
      },
      onSegmentLoaded: ({ segmentUrl, bytesLength, downloadSource, peerId }) => {
        recorder.segmentLoaded(downloadSource);
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
      onTrackerError: ({ error }) => {
        trackerFailed = true;
        emitter.emit('error', { code: 'tracker', message: describe(error), fatal: false });
      },
    };
    for (const [name, handler] of Object.entries(handlers)) {
      p2pEngine.addEventListener(name as keyof CoreEventMap, handler as never);
    }
    return p2pEngine;
  };

  start();

  return {
    stats: snapshot,
    on: (name, listener) => emitter.on(name, listener),
    off: (name, listener) => emitter.off(name, listener),
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const cleanup of cleanups) cleanup();
      hls?.destroy();
      engine = null;
      emitter.clear();
      if (transport.mode === 'native') {
        video.removeAttribute('src');
        video.load();
      }
    },
    get hls() {
      return hls;
    },
    options,
  };
}

interface IntegrityCheck {
  /** Which peer is sending each segment URL, for banning. */
  sources: Map<string, string>;
  validate: (url: string, byteRange: unknown, data: ArrayBuffer) => Promise<boolean>;
}

/**
 * The `validateP2PSegment` hook. p2p-media-loader does not tell the hook which peer sent the data,
 * so the peer comes from the last `onSegmentStart` for that URL. A peer caught sending altered
 * bytes is banned: anything it sends later is rejected unread, which also makes p2p-media-loader
 * close its connection each time.
 */
function integrityCheck(
  options: ResolvedOptions,
  recorder: StatsRecorder,
  emitter: Emitter,
  disableP2P: (reason: FallbackReason) => void,
): IntegrityCheck | null {
  if (options.integrity === false) return null;
  const required = options.integrity !== 'auto';
  const url = typeof options.integrity === 'string' && options.integrity !== 'auto' ? options.integrity : manifestUrlFor(options.src);
  const manifest = new IntegrityManifest(url, fetchJson);
  const banned = new Set<string>();
  const sources = new Map<string, string>();
  const ready = manifest.load().then(
    () => {
      recorder.integrity.enabled = true;
      return true;
    },
    () => {
      if (required) disableP2P('integrity-manifest-unavailable');
      return false;
    },
  );

  const reject = () => {
    recorder.integrity.rejected++;
    return false;
  };

  return {
    sources,
    async validate(segmentUrl, _byteRange, data) {
      const peerId = sources.get(segmentUrl);
      if (peerId !== undefined && banned.has(peerId)) return reject();
      if (!(await ready)) return !required;
      const verdict = await manifest.verify(segmentUrl, data);
      if (verdict === 'valid') {
        recorder.integrity.verified++;
        return true;
      }
      if (verdict === 'altered' && peerId !== undefined && !banned.has(peerId)) {
        banned.add(peerId);
        recorder.integrity.bannedPeers++;
        emitter.emit('error', { code: 'integrity', message: `peer ${peerId} sent altered data for ${segmentUrl}; peer banned`, fatal: false });
        emitter.emit('fallback', { reason: 'integrity', url: segmentUrl, peerId });
      }
      return reject();
    },
  };
}

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function bufferAhead(video: HTMLVideoElement): number {
  const { buffered, currentTime } = video;
  for (let i = 0; i < buffered.length; i++) {
    if (buffered.start(i) <= currentTime + 0.1 && currentTime < buffered.end(i)) return Math.round((buffered.end(i) - currentTime) * 10) / 10;
  }
  return 0;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'tracker connection failed';
}
