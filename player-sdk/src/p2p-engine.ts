/**
 * p2p-media-loader for one session: its engine built with the policy's starting settings, the
 * viewer's identity, the integrity hooks and the page's pass-through core options; its events fed
 * to the stats, the page's events (every p2p-media-loader event has one), the integrity check and
 * the seeding planner; the integrity check and the tracker token's renewal, which live as long as
 * it does.
 */
import type Hls from 'hls.js';
import type { FragmentLoaderConstructor, HlsConfig, PlaylistLoaderConstructor } from 'hls.js';
import type { CoreConfig, CoreEventMap } from 'p2p-media-loader-core';
import { HlsJsP2PEngine } from 'p2p-media-loader-hlsjs';
import { planOverrides, type CoreOptions, type SegmentValidator } from './core-options.ts';
import { errorMessage, type Emitter } from './events.ts';
import { copyingFragmentLoader } from './fragment-copy.ts';
import { fetchManifestJson } from './integrity.ts';
import { integrityCheckFor, type IntegrityCheck } from './integrity-check.ts';
import { initialCoreConfig, type FallbackReason, type LoadingPlan } from './loading-policy.ts';
import type { ResolvedOptions } from './options.ts';
import type { SeedingPlanner } from './seeding-planner.ts';
import type { StatsRecorder } from './stats.ts';
import type { TrackerTokenRenewal, TrackerTokenRenewalSetup } from './token-renewal.ts';
import type { TokenSource } from './token-source.ts';

/** What a tracker error says when p2p-media-loader reports one without a message. */
const TRACKER_FAILED = 'tracker connection failed';
/** The same for a peer's connection. */
const PEER_FAILED = 'peer connection failed';

/** What the engine takes from the session's setup (`SessionSetup`). */
export interface P2PEngineSetup {
  options: ResolvedOptions;
  tokens: TokenSource;
  /** Tracker URLs with the token in them. */
  trackers: string[];
  renewTrackerToken?: (setup: TrackerTokenRenewalSetup) => TrackerTokenRenewal;
  /** The page's pass-through p2p-media-loader options (`p2p.core`, checked by `passThroughCore`). */
  core?: CoreOptions;
}

/** The session's other parts that the engine's events feed. */
export interface P2PEngineSession {
  planner: SeedingPlanner;
  recorder: StatsRecorder;
  emitter: Emitter;
  /** The swarm of the level being played, when coordination knows it. */
  currentSwarm: () => string | undefined;
  /** Plans again (the peers changed). */
  replan: () => void;
}

export interface P2PEngine {
  readonly engine: HlsJsP2PEngine;
  /** p2p-media-loader's loaders for hls.js: they must win over any other config, or no segment reaches a peer. */
  readonly loaderConfig: Partial<HlsConfig>;
  bind(hls: Hls): void;
  /** Applies the policy's plan, with the page's own values of the options it also sets. */
  applyPlan(plan: LoadingPlan): void;
  /** The playlist URL is known (`options.src`): the integrity manifest sits next to it. */
  startIntegrityCheck(): void;
  /** Why no peer is used now, or null. */
  fallbackReason(): FallbackReason | null;
  destroy(): void;
}

export function createP2PEngine(setup: P2PEngineSetup, session: P2PEngineSession): P2PEngine {
  const { options, tokens, trackers } = setup;
  const { validateP2PSegment, validateHTTPSegment, ...userCore } = setup.core ?? {};
  const { planner, recorder, emitter, replan } = session;
  let integrity: IntegrityCheck | null = null;
  let trackerFailed = false;
  const engine = new HlsJsP2PEngine({
    core: {
      ...initialCoreConfig(options),
      // Only coordination needs to know its peer_id; otherwise p2p-media-loader draws its own.
      ...planner.coreIdentity(trackers),
      rtcConfig: options.rtcConfig,
      // Checked by passThroughCore; a custom storage is p2p-media-loader's SegmentStorage, which our public types do not name.
      ...(userCore as Partial<CoreConfig>),
      // Segments over HTTP are fetched by p2p-media-loader, not hls.js: the same request, with the token.
      ...(options.originToken
        ? {
            httpRequestSetup: async (url: string, _segmentRange: unknown, signal: AbortSignal, range: { start: number; end?: number } | undefined) =>
              new Request(await tokens.originUrl(url), { signal, headers: range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {} }),
          }
        : {}),
      ...(options.swarmId === undefined ? {} : { swarmId: options.swarmId }),
      isP2PUploadDisabled: !planner.uploads,
      // Peers wait for the manifest (loaded with the playlist): until it is in, nothing they send could be checked.
      ...(options.integrity === false ? {} : { isP2PDisabled: true }),
      // p2p-media-loader drops undefined options (no hook).
      validateP2PSegment: validator((url, range, data) => integrity?.validateP2P(url, range, data) ?? Promise.resolve(true), validateP2PSegment),
      validateHTTPSegment: validator((url, range, data) => integrity?.validateHttp(url, range, data) ?? Promise.resolve(true), validateHTTPSegment),
    },
  });

  /** The integrity check's hook (unless `integrity: false`), then the page's: both must accept a segment. */
  function validator(ours: SegmentValidator, theirs: SegmentValidator | undefined): SegmentValidator | undefined {
    if (options.integrity === false) return theirs;
    if (!theirs) return ours;
    return async (...args) => (await ours(...args)) && theirs(...args);
  }

  const handlers: CoreEventMap = {
    onChunkDownloaded: (bytes, source, peerId) => {
      recorder.downloaded(bytes, source);
      emitter.emit('chunkdownload', { bytes, source, ...(peerId ? { peerId } : {}) });
    },
    onChunkUploaded: (bytes, peerId) => {
      recorder.uploaded(bytes);
      planner.uploaded(bytes, peerId);
      emitter.emit('chunkupload', { bytes, peerId });
    },
    onSegmentStart: ({ segment, downloadSource, peerId }) => {
      if (downloadSource === 'p2p' && peerId) integrity?.peerStarted(segment.url, peerId);
      emitter.emit('segmentstart', { url: segment.url, source: downloadSource, ...(peerId ? { peerId } : {}) });
    },
    onSegmentLoaded: ({ segmentUrl, bytesLength, downloadSource, peerId }) => {
      recorder.segmentLoaded(downloadSource);
      planner.segmentLoaded(session.currentSwarm(), bytesLength);
      if (downloadSource === 'http') planner.originFetch(session.currentSwarm(), recorder.peerCount);
      emitter.emit('segment', { url: segmentUrl, source: downloadSource, bytes: bytesLength, ...(peerId ? { peerId } : {}) });
    },
    onSegmentError: ({ segment, downloadSource, peerId, streamType, error }) => {
      emitter.emit('segmenterror', { url: segment.url, source: downloadSource, ...(peerId ? { peerId } : {}), streamType, reason: error.type, message: error.message });
    },
    onSegmentAbort: ({ segment, downloadSource, peerId, streamType }) => {
      emitter.emit('segmentabort', { url: segment.url, source: downloadSource ?? null, ...(peerId ? { peerId } : {}), streamType });
    },
    onPeerConnect: ({ peerId }) => {
      recorder.peerConnected(peerId);
      planner.connectedPeers(recorder.peerCount);
      trackerFailed = false;
      emitter.emit('peer', { peerId, state: 'connected', peers: recorder.peerCount });
      replan();
    },
    onPeerClose: ({ peerId }) => {
      recorder.peerClosed(peerId);
      planner.connectedPeers(recorder.peerCount);
      emitter.emit('peer', { peerId, state: 'closed', peers: recorder.peerCount });
      replan();
    },
    onPeerError: ({ peerId, streamType, error }) => {
      emitter.emit('peererror', { peerId, streamType, message: errorMessage(error, PEER_FAILED) });
    },
    // bittorrent-tracker reports a refused WebSocket as a warning, not an error: both count as a failed tracker.
    onTrackerWarning: ({ streamType, warning }) => {
      trackerFailed = true;
      const message = errorMessage(warning, TRACKER_FAILED);
      emitter.emit('trackerwarning', { streamType, message });
      emitter.emit('error', { code: 'tracker', message, fatal: false });
    },
    onTrackerError: ({ streamType, error }) => {
      trackerFailed = true;
      const message = errorMessage(error, TRACKER_FAILED);
      emitter.emit('trackererror', { streamType, message });
      emitter.emit('error', { code: 'tracker', message, fatal: false });
    },
  };
  for (const [name, handler] of Object.entries(handlers)) engine.addEventListener(name as keyof CoreEventMap, handler as never);

  const renewal = setup.renewTrackerToken?.({
    engine,
    tokens,
    trackers: options.trackers.map((tracker) => planner.proving(tracker)),
    onRenewed: (renewed) => planner.useTracker(renewed[0]!),
  });

  const loaders = engine.getConfigForHlsJs() as { fLoader: FragmentLoaderConstructor; pLoader: PlaylistLoaderConstructor };
  return {
    engine,
    loaderConfig: { fLoader: copyingFragmentLoader(loaders.fLoader), pLoader: loaders.pLoader },
    bind(hls) {
      engine.bindHls(hls);
      renewal?.watch(hls);
    },
    applyPlan(plan) {
      engine.applyDynamicConfig({ core: { ...plan, ...planOverrides(userCore, Object.keys(plan)) } });
    },
    startIntegrityCheck() {
      if (integrity || options.integrity === false) return;
      integrity = integrityCheckFor(options, {
        fetchJson: async (manifestUrl) => fetchManifestJson(await tokens.originUrl(manifestUrl)),
        stats: recorder.integrity,
        emitter,
        onPeersAllowed: () => engine.applyDynamicConfig({ core: { isP2PDisabled: false } }),
      });
    },
    fallbackReason() {
      if (integrity?.holdsPeersOff) return 'integrity-manifest-unavailable';
      if (recorder.peerCount > 0) return null;
      return trackerFailed ? 'tracker-unreachable' : 'no-peers';
    },
    destroy() {
      renewal?.stop();
      integrity?.stop();
      engine.destroy();
    },
  };
}
