/**
 * Swarmcast's segment-scheduling policy, as plain functions of the playback state.
 *
 * p2p-media-loader 2.3.1 fetches every segment within `highDemandTimeWindow` (15 s) of the
 * playhead over HTTP and uses peers only beyond it. A live viewer never has more than its
 * latency (6–10 s) of stream ahead of it, so with the defaults a live stream comes almost
 * entirely from the origin. The peer-first policy instead:
 *
 * - shrinks the HTTP-only window to `httpFallbackBuffer` seconds of buffer while peers are
 *   connected: a segment further ahead is taken from a peer when one holds it, and the viewer
 *   waits for one while its buffer is comfortable;
 * - staggers that deadline per viewer (a random part redrawn every plan): viewers of a live
 *   stream sit at the same position, so without it they would all reach the HTTP deadline for a
 *   new segment at once and all fetch it; with it the first one fetches and the rest get it from
 *   that peer a moment later;
 * - widens the random-HTTP window up to the live edge: p2p-media-loader's random loader fetches
 *   a segment nobody has with probability ~1/(peers + 1), so roughly one viewer seeds each new
 *   segment as soon as it appears;
 * - falls back to HTTP-first when no peer is connected (nobody to wait for) and adds a margin
 *   after a stall (the buffer proved too thin).
 *
 * With a seeding-coordination signal from the tracker (`seeding-role.ts`) a live viewer instead
 * plays its role: a seeder fetches new segments at the live edge, backups at staggered deadlines,
 * relays only at the floor, and nobody but seeders runs the random loader; that keeps origin
 * fetches per segment near the number of seeders however large the swarm grows.
 */
import type { HlsConfig } from 'hls.js';
import type { PolicyName, ResolvedOptions } from './options.ts';
import { BACKUP_LEAD, type SeedingRole } from './seeding-role.ts';

/** What the policy looks at, sampled about once a second. */
export interface PlaybackSnapshot {
  isLive: boolean;
  /** Seconds of media buffered ahead of the playhead. */
  bufferAhead: number;
  /** Peers connected in the current rendition's swarm. */
  connectedPeers: number;
  /** Whether playback stalled within `STALL_MEMORY_MS`. */
  recentStall: boolean;
  /** Segment duration in seconds (the playlist's target duration). */
  segmentDuration: number;
  /** This viewer's seeding role in the current swarm; null or absent without a coordination signal. */
  role?: SeedingRole | null;
  /** Seconds since this viewer started (its player was created); absent: long ago. */
  sinceStartSec?: number;
}

/** The p2p-media-loader stream settings the policy controls (all of them dynamic in 2.3.1). */
export interface LoadingPlan {
  highDemandTimeWindow: number;
  httpDownloadTimeWindow: number;
  p2pDownloadTimeWindow: number;
  simultaneousHttpDownloads: number;
  simultaneousP2PDownloads: number;
  p2pNotReceivingBytesTimeoutMs: number;
  /** How long after its first segment request the core takes nothing over HTTP (peers only). */
  httpDownloadInitialTimeoutMs: number;
}

export type PolicyOptions = Pick<ResolvedOptions, 'liveLatency' | 'httpFallbackBuffer' | 'policy'>;

/** Without peers every segment is fetched over HTTP as soon as hls.js wants it. */
export const HTTP_FIRST_WINDOW_SEC = 60;
/** Spread of the per-viewer HTTP deadline, as a fraction of a segment: wide enough that the first fetch is announced before the next viewer's deadline. */
export const DEADLINE_STAGGER_SEGMENTS = 1;
/** Extra buffer kept after a stall. */
export const STALL_MARGIN_SEC = 2;
/** How long a stall keeps the extra margin. */
export const STALL_MEMORY_MS = 30_000;
/** VOD has no live edge to wait for: keep a deeper HTTP floor and prefetch far ahead through peers. */
export const VOD_HTTP_FLOOR_SEC = 10;
export const VOD_PREFETCH_WINDOW_SEC = 120;
/** A peer that sends nothing for this long loses the request (default 2000 ms is a third of a live budget). */
export const P2P_SILENCE_TIMEOUT_MS = 1500;

/**
 * A coordinated viewer joining a swarm that already watches waits this long for peers before its
 * first segments come over HTTP: every joiner pulling its first buffer from the origin is what
 * made origin fetches grow with the audience during a ramp. It only delays startup when no peer
 * delivers in time; p2p-media-loader counts it from its first segment request and ignores it after.
 */
export const JOIN_PEER_WAIT_MS = 1500;
/**
 * How long a coordinated joiner with no peer connected yet keeps the relays' floor rather than
 * going HTTP-first: on a loaded machine its first peers took 4–8 s to connect (load tester, 32
 * viewers), and HTTP-first would pull the whole live window from the origin meanwhile.
 */
export const JOIN_GRACE_SEC = 10;
/** Spread of the relays' deadlines: if seeders and backups all failed, the first relay's fetch can still reach some others. */
export const RELAY_STAGGER_SEC = 0.5;

/** `random` is a number in [0, 1) (injected so tests are deterministic). */
export function planLoading(snapshot: PlaybackSnapshot, options: PolicyOptions, random: number): LoadingPlan {
  const { segmentDuration } = snapshot;
  const horizon = snapshot.isLive ? options.liveLatency + 2 * segmentDuration : VOD_PREFETCH_WINDOW_SEC;
  const base = {
    httpDownloadTimeWindow: horizon,
    p2pDownloadTimeWindow: horizon,
    simultaneousHttpDownloads: 2,
    simultaneousP2PDownloads: 3,
    p2pNotReceivingBytesTimeoutMs: P2P_SILENCE_TIMEOUT_MS,
    httpDownloadInitialTimeoutMs: snapshot.isLive && snapshot.role ? JOIN_PEER_WAIT_MS : 0,
  };
  const margin = snapshot.recentStall ? STALL_MARGIN_SEC : 0;
  if (snapshot.connectedPeers === 0) {
    // Nobody to wait for, whatever the role: HTTP-first. Except a coordinated joiner in its first
    // moments: others watch and its peers are on the way, so it takes only the floor over HTTP.
    const joining = snapshot.isLive && snapshot.role && (snapshot.sinceStartSec ?? Infinity) < JOIN_GRACE_SEC;
    return { ...base, highDemandTimeWindow: joining ? round(options.httpFallbackBuffer + margin) : HTTP_FIRST_WINDOW_SEC };
  }
  if (snapshot.isLive && snapshot.role) {
    const window = round(coordinatedWindow(snapshot.role, options, horizon, snapshot.segmentDuration, random) + margin);
    // The random loader fetches only inside httpDownloadTimeWindow: beyond the deadline, nobody but a seeder seeds.
    return { ...base, highDemandTimeWindow: window, httpDownloadTimeWindow: Math.max(window, snapshot.role.kind === 'seeder' ? horizon : window) };
  }

  const floor = snapshot.isLive ? options.httpFallbackBuffer : Math.max(options.httpFallbackBuffer, VOD_HTTP_FLOOR_SEC);
  const stagger = random * DEADLINE_STAGGER_SEGMENTS * segmentDuration;
  return { ...base, highDemandTimeWindow: round(floor + stagger + margin) };
}

/** Seconds from when a viewer can learn of a new live segment down to the relays' HTTP floor: the mesh's time. */
function meshTimeSec(options: PolicyOptions, segmentDuration: number): number {
  return Math.max(0, options.liveLatency - 2 * segmentDuration - options.httpFallbackBuffer);
}

/**
 * How long the mesh has to bring a new live segment to every viewer before the last backup
 * fetches it, ms: what the tracker sizes the seeding by (`budget_ms`). In a big swarm the first
 * backup may fetch too (one more fetch); what the budget guards is the relays' floor, where a
 * late mesh would cost a fetch per viewer.
 */
export function meshBudgetMs(options: PolicyOptions, segmentDuration: number): number {
  return Math.round((1 - BACKUP_LEAD[BACKUP_LEAD.length - 1]!) * meshTimeSec(options, segmentDuration) * 1000);
}

/**
 * The HTTP window of a coordinated live viewer with peers. A segment appears at the live edge
 * about `liveLatency − segmentDuration` s ahead of the playhead, and a viewer may learn of it one
 * playlist reload (a segment duration) later: the mesh has the time from there down to the floor.
 */
function coordinatedWindow(role: SeedingRole, options: PolicyOptions, horizon: number, segmentDuration: number, random: number): number {
  const floor = options.httpFallbackBuffer;
  const meshTime = meshTimeSec(options, segmentDuration);
  if (role.kind === 'seeder') return horizon;
  if (role.kind === 'backup') return floor + (BACKUP_LEAD[role.order] ?? 0) * meshTime;
  return floor + random * Math.min(RELAY_STAGGER_SEC, meshTime);
}

/**
 * Core settings at creation; `undefined` entries are left to p2p-media-loader's defaults.
 * A player starts HTTP-first and the first plan narrows it once peers are known. A coordinated
 * player asks the tracker as soon as it knows its swarm, before its first segment request: when
 * the answer says others watch, that plan makes it wait for them (`JOIN_PEER_WAIT_MS`). A late
 * answer costs a joiner's first buffer from the origin, never a slower start: waiting without an
 * answer would delay a lone viewer by the whole wait.
 */
export function initialCoreConfig(options: PolicyOptions): Partial<LoadingPlan> & { httpDownloadInitialTimeoutMs?: number } {
  if (options.policy === 'library-default') return {};
  return planLoading({ isLive: true, bufferAhead: 0, connectedPeers: 0, recentStall: false, segmentDuration: 2 }, options, 0);
}

/**
 * Playlist errors are retried for about this long before hls.js gives a rendition up: a live
 * origin that answers 503 for a few seconds must not leave a viewer with no rendition to load.
 */
export const PLAYLIST_RETRY_WINDOW_MS = 30_000;
const PLAYLIST_RETRY_DELAY_MS = 1000;
const PLAYLIST_RETRY_MAX_DELAY_MS = 4000;

/** Retries with exponential backoff (capped) that add up to at least `windowMs`. */
function retriesFor(windowMs: number): number {
  let retries = 0;
  for (let waited = 0; waited < windowMs; retries++) waited += Math.min(PLAYLIST_RETRY_DELAY_MS * 2 ** retries, PLAYLIST_RETRY_MAX_DELAY_MS);
  return retries;
}

/** hls.js jumps back to `liveSyncDuration` once latency exceeds it by this much (after stalls). */
export const LIVE_LATENCY_SLACK_SEC = 8;
/** hls.js's buffer ahead (and behind) under the peer-first policy: requests reach the live edge. */
export const PEER_FIRST_MAX_BUFFER_SEC = 30;

/** hls.js settings that follow from the policy. */
export function hlsConfigFor(options: PolicyOptions): Partial<HlsConfig> {
  const config: Partial<HlsConfig> = {
    liveSyncDuration: options.liveLatency,
    liveMaxLatencyDuration: options.liveLatency + LIVE_LATENCY_SLACK_SEC,
    // hls.js's default gives a playlist up after two retries (~3 s) and then sets renditions
    // aside; a viewer of a short origin outage was left with nothing to load (faults.test.ts).
    playlistLoadPolicy: {
      default: {
        maxTimeToFirstByteMs: 10_000,
        maxLoadTimeMs: 20_000,
        timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 },
        errorRetry: { maxNumRetry: retriesFor(PLAYLIST_RETRY_WINDOW_MS), retryDelayMs: PLAYLIST_RETRY_DELAY_MS, maxRetryDelayMs: PLAYLIST_RETRY_MAX_DELAY_MS },
      },
    },
    // p2p-media-loader's fragment loader reports every failed segment with status 0 (it drops the
    // origin's status), and hls.js does not retry a status 0 while the browser is online: it sets the
    // rendition aside at once and, after an origin outage, a viewer loaded nothing once the origin was
    // back (faults.test.ts, issue 22). Retried like a 5xx, for as long as playlists are.
    fragLoadPolicy: {
      default: {
        maxTimeToFirstByteMs: 10_000,
        maxLoadTimeMs: 120_000,
        timeoutRetry: { maxNumRetry: 4, retryDelayMs: 0, maxRetryDelayMs: 0 },
        errorRetry: {
          maxNumRetry: retriesFor(PLAYLIST_RETRY_WINDOW_MS),
          retryDelayMs: PLAYLIST_RETRY_DELAY_MS,
          maxRetryDelayMs: PLAYLIST_RETRY_MAX_DELAY_MS,
          shouldRetry: (retry, retryCount, _isTimeout, response, retrying) => retrying || (response?.code === 0 && retryCount < (retry?.maxNumRetry ?? 0)),
        },
      },
    },
  };
  if (options.policy === 'peer-first') {
    // Let hls.js ask for segments up to the live edge (p2p-media-loader would cap its buffer to
    // highDemandTimeWindow), so a pending request waits for peers instead of not existing yet.
    config.maxBufferLength = PEER_FIRST_MAX_BUFFER_SEC;
    config.backBufferLength = PEER_FIRST_MAX_BUFFER_SEC;
  }
  return config;
}

export function isPeerFirst(policy: PolicyName): boolean {
  return policy === 'peer-first';
}

/** Upload on unless the user said no, or `'auto'` on a cellular (metered) connection. */
export function uploadAllowed(upload: boolean | 'auto', connectionType: string | undefined): boolean {
  if (upload !== 'auto') return upload;
  return connectionType !== 'cellular';
}

export type TransportMode = 'p2p' | 'http' | 'native';

/** Why a player is not using peers (also shown in stats). */
export type FallbackReason =
  | 'p2p-disabled'
  | 'no-tracker'
  | 'no-webrtc'
  | 'no-mse'
  | 'integrity-manifest-unavailable'
  | 'tracker-unreachable'
  | 'no-peers';

export interface Capabilities {
  mediaSource: boolean;
  nativeHls: boolean;
  webRtc: boolean;
}

/** How the player plays, decided once at start from the options and the browser. */
export function chooseTransport(
  options: Pick<ResolvedOptions, 'p2p' | 'trackers'>,
  capabilities: Capabilities,
): { mode: TransportMode; reason: FallbackReason | null } | { mode: 'unsupported'; reason: 'no-mse' } {
  if (!capabilities.mediaSource) return capabilities.nativeHls ? { mode: 'native', reason: 'no-mse' } : { mode: 'unsupported', reason: 'no-mse' };
  if (!options.p2p) return { mode: 'http', reason: 'p2p-disabled' };
  if (!capabilities.webRtc) return { mode: 'http', reason: 'no-webrtc' };
  if (options.trackers.length === 0) return { mode: 'http', reason: 'no-tracker' };
  return { mode: 'p2p', reason: null };
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}
