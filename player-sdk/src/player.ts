/**
 * `createPlayer`: the thin glue between a <video>, hls.js and p2p-media-loader. Decisions live in
 * `policy.ts`, counters in `stats.ts`, hash checks in `integrity-check.ts`.
 */
import Hls, { type ErrorData, type HlsConfig } from 'hls.js';
import { HlsJsP2PEngine } from 'p2p-media-loader-hlsjs';
import type { CoreEventMap } from 'p2p-media-loader-core';
import { CoordinationClient } from './coordination-client.ts';
import { Emitter, type Listener, type SwarmcastEventName } from './events.ts';
import { levelInfoHash } from './hls-swarm.ts';
import { fetchManifestJson } from './integrity.ts';
import { integrityCheckFor, type IntegrityCheck } from './integrity-check.ts';
import { resolveOptions, withToken, type ResolvedOptions, type SwarmcastOptions } from './options.ts';
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
import { seedingRole } from './seeding-role.ts';
import { StatsRecorder, type SwarmcastStats } from './stats.ts';
import { defaultSwarmId, newPeerId } from './swarm-identity.ts';
import { startTelemetry } from './telemetry-beacon.ts';

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
  const sessionReason: FallbackReason | null = transport.reason;
  let reportedReason: FallbackReason | null = null;
  let trackerFailed = false;
  let hls: Hls | null = null;
  let engine: HlsJsP2PEngine | null = null;
  let integrity: IntegrityCheck | null = null;
  let destroyed = false;
  let recoveries = 0;
  // One peer_id in every swarm, known to us, so the tracker's seeding coordination can be asked about it.
  const peerId = newPeerId();
  let coordination: CoordinationClient | null = null;
  /** info_hash of each level's swarm, by level URL (filled when the master playlist arrives). */
  const levelSwarms = new Map<string, string>();

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
    if (integrity?.holdsPeersOff) return 'integrity-manifest-unavailable';
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
    return recorder.snapshot({ liveLatency: latency, bufferAhead: bufferAhead(video), mode, fallbackReason: fallbackReason(), seeding: seeding() });
  };

  const currentSwarm = (): string | undefined => {
    const level = hls?.levels[hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel];
    return level ? levelSwarms.get(level.uri) : undefined;
  };

  /** What the tracker said about the current swarm; undefined without coordination or before an answer. */
  const currentCoordination = () => {
    const swarm = coordination ? currentSwarm() : undefined;
    return swarm === undefined ? undefined : coordination?.get(swarm);
  };

  const currentRole = () => seedingRole(currentCoordination(), performance.now());

  const seeding = (): SwarmcastStats['seeding'] => {
    const answer = currentCoordination();
    const role = seedingRole(answer, performance.now());
    return role === null ? null : { role: role.kind, swarmSize: answer?.swarmSize ?? null };
  };

  const replan = () => {
    if (!engine || !isPeerFirst(options.policy)) return;
    const details = liveDetails();
    // Follow the level being played (it changes with ABR): the client then asks about that swarm.
    const swarm = coordination ? currentSwarm() : undefined;
    if (swarm) coordination?.watch(swarm);
    const plan = planLoading(
      {
        isLive: details?.live ?? true,
        bufferAhead: bufferAhead(video),
        connectedPeers: recorder.peerCount,
        recentStall: recorder.stalledWithin(STALL_MEMORY_MS),
        segmentDuration: details?.targetduration ?? 2,
        role: currentRole(),
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
  if (options.telemetry) {
    const telemetry = startTelemetry(options.telemetry, { video, stats: snapshot, hls: () => hls, emitter });
    cleanups.push(() => telemetry.stop());
  }

  // The token: the option's string, or the callback's latest answer (asked again once stale).
  let token = typeof options.token === 'string' ? options.token : undefined;
  let tokenAt = -Infinity;
  let tokenRequest: Promise<string | undefined> | undefined;
  const freshToken = (): Promise<string | undefined> => {
    const source = options.token;
    if (typeof source !== 'function' || performance.now() - tokenAt < options.tokenRefreshSeconds * 1000) return Promise.resolve(token);
    tokenRequest ??= Promise.resolve()
      .then(source)
      .then(
        (fresh) => {
          token = fresh;
          tokenAt = performance.now();
          return token;
        },
        (error: unknown) => {
          emitter.emit('error', { code: 'token', message: `token callback failed: ${describe(error)}`, fatal: false });
          return token;
        },
      )
      .finally(() => (tokenRequest = undefined));
    return tokenRequest;
  };
  const originUrl = async (url: string) => {
    const current = options.originToken ? await freshToken() : undefined;
    return current ? withToken(url, current) : url;
  };

  /** `first`: the token the player starts with (a string option's, or the callback's first answer). */
  const start = (first: string | undefined) => {
    if (transport.mode === 'unsupported') {
      emitter.emit('error', { code: 'unsupported', message: 'this browser has neither Media Source Extensions nor native HLS', fatal: true });
      return;
    }
    // A string token is already in the tracker URLs (resolveOptions); a callback's goes in now.
    const trackers = typeof options.token === 'function' && first ? options.trackers.map((tracker) => withToken(tracker, first)) : options.trackers;
    if (transport.mode === 'native') {
      video.src = options.originToken && first ? withToken(options.src, first) : options.src;
      if (options.autoplay) video.play().catch(() => undefined);
      return;
    }
    const hlsConfig: Partial<HlsConfig> = { ...hlsConfigFor(options) };
    if (options.level !== 'auto') hlsConfig.startLevel = options.level;
    // Playlists (and segments without P2P) go through hls.js's XHR loader. The token goes in a header:
    // in the URL it would change the playlists' responseURL, which p2p-media-loader matches against the
    // master's level URLs, and every segment would then bypass it (no peers, no tracker).
    if (options.originToken) {
      hlsConfig.xhrSetup = async (xhr, url) => {
        const current = await freshToken();
        xhr.open('GET', url, true);
        if (current) xhr.setRequestHeader('Authorization', `Bearer ${current}`);
      };
    }
    if (transport.mode === 'p2p') {
      engine = createEngine(trackers);
      Object.assign(hlsConfig, engine.getConfigForHlsJs());
      if (options.coordination && isPeerFirst(options.policy) && trackers[0] !== undefined) {
        const client = new CoordinationClient({ tracker: trackers[0], peerId, onAnswer: () => replan() });
        coordination = client;
        cleanups.push(() => client.stop());
      }
    }
    hls = new Hls({ ...hlsConfig, ...options.hlsConfig });
    engine?.bindHls(hls);
    if (coordination) {
      // Live or VOD is known now, before the first segment request: plan for it rather than a second later.
      hls.once(Hls.Events.LEVEL_LOADED, () => replan());
      hls.on(Hls.Events.MANIFEST_LOADED, (_event, data) => {
        // p2p-media-loader names swarms after the response URL (after redirects), as here.
        const details: unknown = data.networkDetails;
        const responseUrl = details instanceof XMLHttpRequest ? details.responseURL : details instanceof Response ? details.url : data.url;
        const swarmId = options.swarmId ?? defaultSwarmId(responseUrl);
        for (const level of data.levels) levelSwarms.set(level.url, levelInfoHash(swarmId, level));
        // Ask now, while the level playlist loads: the answer should be in before the first segment request.
        const first = data.levels[options.level === 'auto' ? 0 : Math.min(options.level, data.levels.length - 1)];
        if (first) coordination?.watch(levelSwarms.get(first.url)!);
      });
    }
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (options.level !== 'auto' && hls) hls.loadLevel = Math.min(options.level, hls.levels.length - 1);
      if (options.autoplay) video.play().catch(() => undefined);
    });
    hls.on(Hls.Events.ERROR, (_event, data) => onHlsError(data));
    // Without p2p-media-loader its byte events are gone: count what hls.js itself fetched.
    if (!engine) {
      hls.on(Hls.Events.FRAG_LOADED, (_event, { frag }) => {
        recorder.downloaded(frag.stats.loaded, 'http');
        recorder.segmentLoaded('http');
        emitter.emit('segment', { url: frag.url, source: 'http', bytes: frag.stats.loaded });
      });
    }
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

  const createEngine = (trackers: string[]): HlsJsP2PEngine => {
    const check = integrityCheckFor(options, {
      fetchJson: async (url) => fetchManifestJson(await originUrl(url)),
      stats: recorder.integrity,
      emitter,
      onPeersAllowed: () => engine?.applyDynamicConfig({ core: { isP2PDisabled: false } }),
    });
    integrity = check;
    if (check) cleanups.push(() => check.stop());
    const connection = (navigator as Navigator & { connection?: { type?: string } }).connection;
    const p2pEngine = new HlsJsP2PEngine({
      core: {
        ...initialCoreConfig(options),
        // Only coordination needs to know its peer_id; otherwise p2p-media-loader draws its own.
        ...(options.coordination ? { trackerClientVersionPrefix: peerId } : {}),
        announceTrackers: trackers,
        rtcConfig: options.rtcConfig,
        // Segments over HTTP are fetched by p2p-media-loader, not hls.js: the same request, with the token.
        ...(options.originToken
          ? {
              httpRequestSetup: async (url: string, _segmentRange: unknown, signal: AbortSignal, range: { start: number; end?: number } | undefined) =>
                new Request(await originUrl(url), { signal, headers: range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {} }),
            }
          : {}),
        ...(options.swarmId === undefined ? {} : { swarmId: options.swarmId }),
        isP2PUploadDisabled: !uploadAllowed(options.upload, connection?.type),
        // Peers wait for the manifest: until it is in, nothing they send could be checked.
        ...(check ? { isP2PDisabled: true, validateP2PSegment: check.validateP2P, validateHTTPSegment: check.validateHttp } : {}),
      },
    });
    const handlers: Partial<CoreEventMap> = {
      onChunkDownloaded: (bytes, source) => recorder.downloaded(bytes, source),
      onChunkUploaded: (bytes) => recorder.uploaded(bytes),
      onSegmentStart: ({ segment, downloadSource, peerId }) => {
        if (downloadSource === 'p2p' && peerId) check?.peerStarted(segment.url, peerId);
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
      // bittorrent-tracker reports a refused WebSocket as a warning, not an error.
      onTrackerWarning: ({ warning }) => {
        trackerFailed = true;
        emitter.emit('error', { code: 'tracker', message: describe(warning), fatal: false });
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

  // Without a callback the player starts synchronously, so `hls` is there as soon as createPlayer returns.
  if (typeof options.token === 'function') void freshToken().then((first) => destroyed || start(first));
  else start(token);

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
