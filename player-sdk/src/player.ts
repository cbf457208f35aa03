/**
 * `createPlayer`: a Swarmcast session (`session.ts`) on an hls.js of its own, attached to a <video>;
 * or the browser's native HLS where there is no Media Source Extensions. It picks the transport,
 * waits for the first token when a callback gives it, and starts playback.
 */
import Hls from 'hls.js';
import { Emitter } from './events.ts';
import { chooseTransport } from './loading-policy.ts';
import { checkLevel, checkLiveLatency, resolveOptions, withToken, type ResolvedOptions, type SwarmcastOptions } from './options.ts';
import { createSession, type Session, type SwarmcastHandle } from './session.ts';
import type { SwarmcastStats } from './stats.ts';
import { TrackerTokenRenewal } from './token-renewal.ts';
import { TokenSource } from './token-source.ts';

export interface SwarmcastPlayer extends SwarmcastHandle {
  /** Stops loading, closes peer connections and detaches from the video element. */
  destroy(): void;
  /** The hls.js instance (null in native-HLS mode, or while a token callback is first asked). */
  readonly hls: Hls | null;
  /** The options after defaults. */
  readonly options: Readonly<ResolvedOptions>;
}

/** A player's stats before it has a session (a token callback has not answered yet): nothing loaded or played. */
const ZERO_STATS: Omit<SwarmcastStats, 'mode' | 'fallbackReason'> = Object.freeze({
  httpBytes: 0,
  p2pBytes: 0,
  uploadedBytes: 0,
  offloadPercent: 0,
  segments: Object.freeze({ http: 0, p2p: 0 }),
  peers: 0,
  liveLatency: null,
  bufferAhead: 0,
  stalls: 0,
  stalledMs: 0,
  startupMs: null,
  integrity: Object.freeze({ enabled: false, verified: 0, rejected: 0, bannedPeers: 0 }),
  seeding: null,
});

export function createPlayer(video: HTMLVideoElement, input: SwarmcastOptions): SwarmcastPlayer {
  if (!(video instanceof HTMLVideoElement)) throw new TypeError('Swarmcast createPlayer: the first argument must be a <video> element');
  const options = resolveOptions(input, typeof location === 'undefined' ? undefined : location.href);
  const emitter = new Emitter();
  const transport = chooseTransport(options, {
    mediaSource: Hls.isSupported(),
    nativeHls: video.canPlayType('application/vnd.apple.mpegurl') !== '',
    webRtc: typeof RTCPeerConnection === 'function',
  });
  const tokens = new TokenSource(options, emitter);
  let hls: Hls | null = null;
  let session: Session | null = null;
  let destroyed = false;

  /** `first`: the token the player starts with (a string option's, or the callback's first answer). */
  const start = (first: string | undefined) => {
    if (transport.mode === 'unsupported') {
      emitter.emit('error', { code: 'unsupported', message: 'this browser has neither Media Source Extensions nor native HLS', fatal: true });
      return;
    }
    // A string token is already in the tracker URLs (resolveOptions); a callback's goes in now, and is renewed before it expires.
    const byCallback = typeof options.token === 'function';
    const trackers = byCallback && first ? options.trackers.map((tracker) => withToken(tracker, first)) : options.trackers;
    session = createSession({
      options: { ...options },
      mode: transport.mode,
      reason: transport.reason,
      tokens,
      trackers,
      emitter,
      ...(byCallback ? { renewTrackerToken: (renewal) => new TrackerTokenRenewal(renewal) } : {}),
    });
    if (transport.mode === 'native') {
      session.attachMedia(video);
      video.src = options.originToken && first ? withToken(options.src, first) : options.src;
      if (options.autoplay) video.play().catch(() => undefined);
      return;
    }
    hls = new Hls({ ...session.hlsConfig, ...options.hlsConfig, ...session.loaderConfig });
    session.bind(hls);
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (options.autoplay) video.play().catch(() => undefined);
    });
    hls.loadSource(options.src);
    hls.attachMedia(video);
  };

  // Without a callback the player starts synchronously, so `hls` is there as soon as createPlayer returns.
  if (typeof options.token === 'function') void tokens.fresh().then((first) => destroyed || start(first));
  else start(typeof options.token === 'string' ? options.token : undefined);

  // Until a token callback first answers there is no session: listeners wait on the emitter, stats are zeros.
  const zero = Object.freeze({ ...ZERO_STATS, mode: transport.mode === 'unsupported' ? 'http' : transport.mode, fallbackReason: transport.reason });
  return {
    stats: () => session?.handle.stats() ?? zero,
    on: (name, listener) => emitter.on(name, listener),
    once: (name, listener) => emitter.once(name, listener),
    off: (name, listener) => emitter.off(name, listener),
    levels: () => session?.handle.levels() ?? [],
    get currentLevel() {
      return session?.handle.currentLevel ?? -1;
    },
    get engine() {
      return session?.handle.engine ?? null;
    },
    setLevel: (level) => {
      checkLevel(level);
      if (session) session.handle.setLevel(level);
      else options.level = level;
    },
    setLiveLatency: (seconds) => {
      checkLiveLatency(seconds, options.httpFallbackBuffer);
      if (session) session.handle.setLiveLatency(seconds);
      else options.liveLatency = seconds;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      session?.handle.destroy();
      hls?.destroy();
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
