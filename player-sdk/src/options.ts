/**
 * Every option of `createPlayer`, with its default, in one place.
 * `resolveOptions` validates user input and fails fast with the name of the bad option.
 */
import { DEFAULT_BEAT_INTERVAL_MS, MAX_BEAT_INTERVAL_MS, MAX_STREAM_LENGTH, MIN_BEAT_INTERVAL_MS } from '@swarmcast/protocol/telemetry';
import { collectorUrlFor } from './telemetry.ts';

/** Which segment-scheduling policy the player runs. */
export type PolicyName =
  /** Swarmcast's buffer-aware peer-first policy (see `loading-policy.ts`). */
  | 'peer-first'
  /** p2p-media-loader 2.3.1's own defaults: HTTP for the next 15 s, peers only for prefetch. Kept for comparison (bench). */
  | 'library-default';

export interface SwarmcastOptions {
  /** URL of the HLS master (or media) playlist. Required. */
  src: string;
  /**
   * WebTorrent tracker URLs (`ws://` or `wss://`) used to find peers.
   * @default [] — no tracker means no peers: the player plays over HTTP and says so in stats.
   */
  trackers?: string[];
  /**
   * Swarm identifier: viewers with the same `swarmId` (and rendition) share segments.
   * @default the playlist URL without its query string (p2p-media-loader's rule).
   */
  swarmId?: string;
  /**
   * Access token for private streams (see the README's "Security model"), appended to every
   * tracker URL as `?token=<token>`, and to the origin's requests with `originToken`.
   * A function is called for a fresh token before the player connects, again for origin requests
   * once the last one is older than `tokenRefreshSeconds`, and before each token expires (a minute
   * before its `exp`; `token-renewal.ts`), when the tracker connections move to the new one. A
   * string is never renewed: the tracker closes a socket once its token expires, so mint it to
   * outlast a viewing session.
   * @default undefined
   */
  token?: string | (() => string | Promise<string>);
  /**
   * Also send the token with every playlist, segment and integrity-manifest request
   * (`?token=`), for an origin run with `ORIGIN_AUTH=required`.
   * @default false
   */
  originToken?: boolean;
  /**
   * With a `token` function: seconds after which origin requests ask it for a fresh token (sooner
   * when the token is about to expire).
   * @default 60
   */
  tokenRefreshSeconds?: number;
  /**
   * `false` turns peer-to-peer off entirely: plain hls.js over HTTP.
   * @default true
   */
  p2p?: boolean;
  /**
   * Whether this viewer uploads segments to others. `'auto'` uploads except on cellular
   * connections (`navigator.connection.type === 'cellular'`), where the viewer's data is metered.
   * @default 'auto'
   */
  upload?: boolean | 'auto';
  /**
   * SHA-256 check of every segment a peer contributed to before hls.js sees it. Peers stay off
   * until the manifest loads (failed loads are retried with backoff; `fallbackReason` says so).
   * `'auto'`: `segments-sha256.json` next to the master playlist; a 404 means the site publishes
   * none, and peer data is then accepted unchecked (`stats.integrity.enabled` false);
   * `true` or a string (that manifest URL): required, a 404 is retried like any failure;
   * `false`: no check.
   * @default 'auto'
   */
  integrity?: boolean | 'auto' | string;
  /**
   * Target live latency in seconds (hls.js `liveSyncDuration`: how far behind the live edge playback runs).
   * Higher leaves peers more time to deliver a new segment before the HTTP fallback: measured
   * offload for 4 viewers is in the README (latency vs offload). Must fit inside the origin's live
   * window (8 × 2 s by default) with one segment to spare.
   * @default 12
   */
  liveLatency?: number;
  /**
   * Seconds of buffer below which the next segment is fetched over HTTP instead of waiting
   * for a peer (p2p-media-loader's `highDemandTimeWindow` while peers are connected).
   * @default 3
   */
  httpFallbackBuffer?: number;
  /**
   * Scheduling policy. `'library-default'` is p2p-media-loader's own behaviour, for comparison.
   * @default 'peer-first'
   */
  policy?: PolicyName;
  /**
   * Rendition to play: `'auto'` (hls.js ABR) or the index of a level in the master playlist (0 = first).
   * @default 'auto'
   */
  level?: 'auto' | number;
  /**
   * WebRTC configuration (STUN/TURN servers) for peer connections.
   * @default { iceServers: [{ urls: 'stun:stun.l.google.com:19302' }] }
   */
  rtcConfig?: RTCConfiguration;
  /**
   * Start playback as soon as the stream is ready (browsers allow it muted, or after a user gesture).
   * @default true
   */
  autoplay?: boolean;
  /**
   * Seeding coordination (live, `peer-first`): ask the first tracker (`GET /coordination`) which
   * viewers of this rendition fetch new segments from the origin (a few seeders, rotated), so
   * the others wait for peers and origin fetches stay near one per segment however large the
   * audience. Without an answer (an older tracker, `COORDINATION=off`, a 404 or 429) the player
   * behaves exactly as if this were `false`, with no error. See `seeding-role.ts`; the README has
   * the Chromium measurements it is the default on.
   * @default true
   */
  coordination?: boolean;
  /**
   * Milliseconds between `stats` events.
   * @default 1000
   */
  statsIntervalMs?: number;
  /**
   * Extra hls.js configuration, applied last (it overrides what the policy sets).
   * @default {}
   */
  hlsConfig?: Record<string, unknown>;
  /**
   * Audience telemetry: a compact beat every `intervalMs` (15 s) to the tracker's collector, for
   * its dashboard: stream, bytes from peers / HTTP / uploaded, peers, stalls, startup, live
   * latency, errors, rendition, and a random per-session id (no user id, nothing else).
   * `false` sends nothing; `{ url, intervalMs, stream }` overrides the defaults (`TelemetryOptions`).
   * @default true (to the first tracker's http(s) URL + `/telemetry`; nothing without a tracker or url)
   */
  telemetry?: boolean | TelemetryOptions;
}

export interface TelemetryOptions {
  /**
   * Collector URL.
   * @default the first tracker's URL with ws→http / wss→https and path `/telemetry`
   */
  url?: string;
  /**
   * Milliseconds between beats (1000–30000: the collector counts a viewer gone after 75 s without one).
   * @default 15000
   */
  intervalMs?: number;
  /**
   * Stream name on the dashboard.
   * @default `swarmId`, else the playlist URL without its query string
   */
  stream?: string;
}

export interface ResolvedTelemetry {
  url: string;
  intervalMs: number;
  stream: string;
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  src: string;
  trackers: string[];
  swarmId: string | undefined;
  token: string | (() => string | Promise<string>) | undefined;
  originToken: boolean;
  tokenRefreshSeconds: number;
  p2p: boolean;
  upload: boolean | 'auto';
  integrity: boolean | 'auto' | string;
  liveLatency: number;
  httpFallbackBuffer: number;
  policy: PolicyName;
  coordination: boolean;
  level: 'auto' | number;
  rtcConfig: RTCConfiguration;
  autoplay: boolean;
  statsIntervalMs: number;
  hlsConfig: Record<string, unknown>;
  /** Where and how often beats go; null when off. */
  telemetry: ResolvedTelemetry | null;
}

/** Frozen to the bottom: a page that edits the defaults would change every player after it. */
function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export const defaultOptions: Readonly<Omit<ResolvedOptions, 'src'>> = deepFreeze({
  trackers: [],
  swarmId: undefined,
  token: undefined,
  originToken: false,
  tokenRefreshSeconds: 60,
  p2p: true,
  upload: 'auto',
  integrity: 'auto',
  liveLatency: 12,
  httpFallbackBuffer: 3,
  policy: 'peer-first',
  coordination: true,
  level: 'auto',
  rtcConfig: { iceServers: [{ urls: 'stun:stun.l.google.com:19302' }] },
  autoplay: true,
  statsIntervalMs: 1000,
  hlsConfig: {},
  // Resolved from the `telemetry` option (on by default) and the trackers.
  telemetry: null,
});

/** Thrown by `createPlayer` for a bad option; `option` names it. */
export class OptionError extends TypeError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`Swarmcast option ${option}: ${message}`);
    this.name = 'OptionError';
  }
}

const POLICIES: readonly PolicyName[] = ['peer-first', 'library-default'];

/**
 * Checks `input` and fills in the defaults. `srcOptional`: an empty `src` is allowed (the engine
 * entry learns it from what hls.js loads); then `telemetry.stream` stays empty until it is known.
 */
export function resolveOptions(input: SwarmcastOptions, base: string | undefined = undefined, { srcOptional = false } = {}): ResolvedOptions {
  if (input === null || typeof input !== 'object') throw new OptionError('options', 'expected an object with at least { src }');
  const options = { ...defaultOptions, ...withoutUndefined(input) } as ResolvedOptions;

  if (!(srcOptional && options.src === '')) options.src = absoluteUrl('src', options.src, base, ['http:', 'https:']);
  if (!Array.isArray(options.trackers)) throw new OptionError('trackers', 'expected an array of ws:// or wss:// URLs');
  options.trackers = options.trackers.map((tracker, i) => absoluteUrl(`trackers[${i}]`, tracker, undefined, ['ws:', 'wss:']));
  if (options.token !== undefined) {
    if (typeof options.token === 'string' && options.token !== '') options.trackers = options.trackers.map((tracker) => withToken(tracker, options.token as string));
    else if (typeof options.token !== 'function') throw new OptionError('token', 'expected a non-empty string or a function returning one');
  }
  if (typeof options.originToken !== 'boolean') throw new OptionError('originToken', 'expected true or false');
  positive('tokenRefreshSeconds', options.tokenRefreshSeconds);
  if (options.swarmId !== undefined && (typeof options.swarmId !== 'string' || options.swarmId === '')) {
    throw new OptionError('swarmId', 'expected a non-empty string');
  }
  if (typeof options.p2p !== 'boolean') throw new OptionError('p2p', 'expected true or false');
  if (typeof options.coordination !== 'boolean') throw new OptionError('coordination', 'expected true or false');
  if (options.upload !== 'auto' && typeof options.upload !== 'boolean') throw new OptionError('upload', "expected true, false or 'auto'");
  if (typeof options.integrity === 'string' && options.integrity !== 'auto') {
    options.integrity = absoluteUrl('integrity', options.integrity, options.src, ['http:', 'https:']);
  } else if (options.integrity !== 'auto' && typeof options.integrity !== 'boolean') {
    throw new OptionError('integrity', "expected 'auto', true, false or a manifest URL");
  }
  positive('liveLatency', options.liveLatency);
  positive('httpFallbackBuffer', options.httpFallbackBuffer);
  if (options.httpFallbackBuffer >= options.liveLatency) {
    throw new OptionError('httpFallbackBuffer', `must be lower than liveLatency (${options.liveLatency} s), got ${options.httpFallbackBuffer}`);
  }
  if (!POLICIES.includes(options.policy)) throw new OptionError('policy', `expected one of ${POLICIES.join(', ')}`);
  checkLevel(options.level);
  if (options.rtcConfig === null || typeof options.rtcConfig !== 'object') throw new OptionError('rtcConfig', 'expected an RTCConfiguration object');
  if (typeof options.autoplay !== 'boolean') throw new OptionError('autoplay', 'expected true or false');
  positive('statsIntervalMs', options.statsIntervalMs);
  if (options.hlsConfig === null || typeof options.hlsConfig !== 'object') throw new OptionError('hlsConfig', 'expected an object');
  options.telemetry = resolveTelemetry(input.telemetry, { trackers: options.trackers, src: options.src, swarmId: options.swarmId });
  return options;
}

/** Null when telemetry is off, or on by default with no tracker to send to. */
function resolveTelemetry(
  input: unknown,
  context: { trackers: string[]; src: string; swarmId: string | undefined },
): ResolvedTelemetry | null {
  if (input === false) return null;
  if (input !== true && input !== undefined && (input === null || typeof input !== 'object')) {
    throw new OptionError('telemetry', 'expected true, false or { url?, intervalMs?, stream? }');
  }
  const given = (typeof input === 'object' ? input : {}) as TelemetryOptions;
  let url: string;
  if (given.url !== undefined) {
    try {
      url = new URL(given.url, context.src).href;
    } catch {
      throw new OptionError('telemetry.url', `not a valid URL: ${String(given.url)}`);
    }
    if (!/^https?:$/.test(new URL(url).protocol)) throw new OptionError('telemetry.url', `expected an http: or https: URL, got ${given.url}`);
  } else if (context.trackers[0] !== undefined) {
    url = collectorUrlFor(context.trackers[0]);
  } else {
    return null;
  }
  const intervalMs = given.intervalMs ?? DEFAULT_BEAT_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < MIN_BEAT_INTERVAL_MS || intervalMs > MAX_BEAT_INTERVAL_MS) {
    throw new OptionError('telemetry.intervalMs', `expected an integer from ${MIN_BEAT_INTERVAL_MS} to ${MAX_BEAT_INTERVAL_MS}, got ${String(intervalMs)}`);
  }
  const stream = given.stream ?? context.swarmId ?? context.src.split('?', 1)[0]!;
  // No src yet (the engine entry): the stream is named once hls.js loads a playlist.
  const later = given.stream === undefined && context.src === '';
  if (typeof stream !== 'string' || (stream === '' && !later) || stream.length > MAX_STREAM_LENGTH) {
    throw new OptionError('telemetry.stream', `expected a string of 1 to ${MAX_STREAM_LENGTH} characters`);
  }
  return { url, intervalMs, stream };
}

function withoutUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** `level`, as the option and `setLevel` take it. */
export function checkLevel(level: unknown): void {
  if (level !== 'auto' && !(Number.isInteger(level) && (level as number) >= 0)) throw new OptionError('level', "expected 'auto' or a level index (integer ≥ 0)");
}

/** `setLiveLatency`'s argument: a latency the HTTP fallback buffer still fits under. */
export function checkLiveLatency(seconds: unknown, httpFallbackBuffer: number): void {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= httpFallbackBuffer) {
    throw new OptionError('liveLatency', `expected a number of seconds above httpFallbackBuffer (${httpFallbackBuffer}), got ${String(seconds)}`);
  }
}

function positive(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new OptionError(option, `expected a positive number, got ${String(value)}`);
}

function absoluteUrl(option: string, value: unknown, base: string | undefined, protocols: string[]): string {
  if (typeof value !== 'string' || value === '') throw new OptionError(option, 'expected a URL');
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    throw new OptionError(option, `not a valid URL: ${value}`);
  }
  if (!protocols.includes(url.protocol)) throw new OptionError(option, `expected a ${protocols.join(' or ')} URL, got ${value}`);
  return url.href;
}

/** `url` with `?token=` set (tracker and origin URLs alike). */
export function withToken(tracker: string, token: string): string {
  const url = new URL(tracker);
  url.searchParams.set('token', token);
  return url.href;
}
