/**
 * p2p-media-loader's per-player core options (`new HlsWithP2P({ p2p: { core } })`) as Swarmcast
 * takes them: which ones the policy owns (it sets them itself, some every second), which pass
 * through to p2p-media-loader untouched, and the check of each value. An owned or unknown option
 * is ignored with one console warning per option and page: a page migrating from
 * p2p-media-loader keeps playing, and says what to use instead. A wrong value of a pass-through
 * option fails fast (`OptionError`), as every other option does.
 */
import { OptionError } from './options.ts';
import type { PolicyName } from './options.ts';

/** Checks of a pass-through value; the name says what it accepts. */
const CHECKS = {
  count: (value: unknown) => Number.isInteger(value) && (value as number) >= 1,
  retries: (value: unknown) => Number.isInteger(value) && (value as number) >= 0,
  positive: (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value > 0,
  function: (value: unknown) => typeof value === 'function',
  object: (value: unknown) => value !== null && typeof value === 'object',
} as const;

const EXPECTED: Record<keyof typeof CHECKS, string> = {
  count: 'an integer ≥ 1',
  retries: 'an integer ≥ 0',
  positive: 'a positive number',
  function: 'a function',
  object: 'an object',
};

/** Options p2p-media-loader 2.3.1 takes per stream (top level, `mainStream` or `secondaryStream`) that pass through. */
const STREAM_PASS_THROUGH = {
  simultaneousHttpDownloads: 'count',
  simultaneousP2PDownloads: 'count',
  webRtcMaxMessageSize: 'count',
  p2pNotReceivingBytesTimeoutMs: 'positive',
  p2pInactiveLoaderDestroyTimeoutMs: 'positive',
  httpNotReceivingBytesTimeoutMs: 'positive',
  httpErrorRetries: 'retries',
  p2pErrorRetries: 'retries',
  rtcConfig: 'object',
} as const satisfies Record<string, keyof typeof CHECKS>;

/** Pass-through options taken at the top level of `core` only: hooks Swarmcast composes with its own, and storage. */
const TOP_PASS_THROUGH = {
  ...STREAM_PASS_THROUGH,
  validateP2PSegment: 'function',
  validateHTTPSegment: 'function',
  httpRequestSetup: 'function',
  segmentMemoryStorageLimit: 'positive',
  customSegmentStorageFactory: 'function',
} as const satisfies Record<string, keyof typeof CHECKS>;

/** The peer-first policy's windows: re-planned every second from the buffer, the peers and the seeding role. */
const POLICY_WINDOWS = ['highDemandTimeWindow', 'httpDownloadTimeWindow', 'p2pDownloadTimeWindow', 'httpDownloadInitialTimeoutMs'] as const;

/** Options Swarmcast sets itself whatever the policy, and what a page uses instead. */
const ALWAYS_OWNED: Record<string, string> = {
  isP2PDisabled: "held on until the integrity manifest loads; use swarmcastHls's `p2p: false`",
  isP2PUploadDisabled: "follows the `upload` option (off on cellular with 'auto'); use `upload`",
  announceTrackers: "carry the token and the peer's coordination proof; use swarmcastHls's `trackers`",
  trackerClientVersionPrefix: "is the peer_id seeding coordination proves; it cannot be the page's",
  swarmId: "names the swarm for coordination and telemetry too; use swarmcastHls's `swarmId`",
};

/** What the policy owns under `policy` (and `originToken`), with the reason a warning gives. */
export function ownedCoreOptions(policy: PolicyName, originToken: boolean): Record<string, string> {
  const owned = { ...ALWAYS_OWNED };
  if (policy === 'peer-first') for (const name of POLICY_WINDOWS) owned[name] = 'is re-planned every second by the peer-first policy; use `httpFallbackBuffer` and `liveLatency`';
  if (originToken) owned.httpRequestSetup = 'puts the origin token on segment requests (`originToken`)';
  return owned;
}

type StreamPassThrough = { [K in keyof typeof STREAM_PASS_THROUGH]?: K extends 'rtcConfig' ? RTCConfiguration : number };

/** A segment check as p2p-media-loader calls it; `byteRange` is the segment's range in a byte-range playlist. */
export type SegmentValidator = (url: string, byteRange: { start: number; end: number } | undefined, data: ArrayBuffer) => Promise<boolean>;

/** The core options a page may set per player (p2p-media-loader 2.3.1's names and meanings). */
export interface CoreOptions extends StreamPassThrough {
  /** Runs after Swarmcast's own integrity check passes (both must accept the segment). */
  validateP2PSegment?: SegmentValidator;
  validateHTTPSegment?: SegmentValidator;
  /** Not with `originToken` (Swarmcast's request carries the token). */
  httpRequestSetup?: (
    segmentUrl: string,
    segmentByteRange: { start: number; end: number } | undefined,
    signal: AbortSignal,
    requestByteRange: { start: number; end?: number } | undefined,
  ) => Promise<Request | undefined | null>;
  segmentMemoryStorageLimit?: number;
  customSegmentStorageFactory?: (isLive: boolean) => unknown;
  mainStream?: StreamPassThrough;
  secondaryStream?: StreamPassThrough;
}

/** `p2p` in an hls.js config, as p2p-media-loader-hlsjs's `injectMixin` takes it. */
export interface P2PConfig<H> {
  core?: CoreOptions;
  /** Called once with the instance at the end of its constructor. */
  onHlsJsCreated?: (hls: H) => void;
}

/** Options already warned about on this page. */
const warned = new Set<string>();

function warnOnce(path: string, why: string): void {
  if (warned.has(path)) return;
  warned.add(path);
  console.warn(`Swarmcast: p2p.core.${path} is ignored: it ${why}.`);
}

function section(input: unknown, path: string, allowed: Record<string, keyof typeof CHECKS>, owned: Record<string, string>): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new OptionError(`p2p.${path}`, 'expected an object');
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined || (path === 'core' && (name === 'mainStream' || name === 'secondaryStream'))) continue;
    const where = `${path === 'core' ? '' : `${path.slice('core.'.length)}.`}${name}`;
    const check = allowed[name];
    if (owned[name] !== undefined) warnOnce(where, owned[name]);
    else if (check === undefined) warnOnce(where, name in TOP_PASS_THROUGH ? 'is taken at the top level of p2p.core only' : 'is not a p2p-media-loader 2.3.1 core option Swarmcast passes on');
    else if (!CHECKS[check](value)) throw new OptionError(`p2p.${path}.${name}`, `expected ${EXPECTED[check]}, got ${String(value)}`);
    else kept[name] = value;
  }
  return kept;
}

/** The pass-through part of a page's `p2p.core` (owned and unknown options dropped, with a warning). */
export function passThroughCore(input: unknown, owned: Record<string, string>): CoreOptions {
  if (input === undefined) return {};
  const core = section(input, 'core', TOP_PASS_THROUGH, owned) as CoreOptions;
  for (const stream of ['mainStream', 'secondaryStream'] as const) {
    const given = (input as Record<string, unknown>)[stream];
    if (given !== undefined) core[stream] = section(given, `core.${stream}`, STREAM_PASS_THROUGH, owned) as StreamPassThrough;
  }
  return core;
}

/** `p2p` of an hls.js config, checked: its pass-through core options and `onHlsJsCreated`. */
export function p2pConfigOf<H>(input: unknown, owned: Record<string, string>): { core: CoreOptions; onHlsJsCreated?: (hls: H) => void } {
  if (input === undefined) return { core: {} };
  if (input === null || typeof input !== 'object') throw new OptionError('p2p', 'expected { core?, onHlsJsCreated? }');
  const { core, onHlsJsCreated } = input as P2PConfig<H>;
  if (onHlsJsCreated !== undefined && typeof onHlsJsCreated !== 'function') throw new OptionError('p2p.onHlsJsCreated', 'expected a function');
  return { core: passThroughCore(core, owned), ...(onHlsJsCreated ? { onHlsJsCreated } : {}) };
}

/** The options the policy's plan sets (`LoadingPlan`) that the page set too: re-applied over every plan. */
export function planOverrides(core: CoreOptions, planKeys: readonly string[]): Record<string, unknown> {
  const pick = (from: object | undefined) => Object.fromEntries(Object.entries(from ?? {}).filter(([name]) => planKeys.includes(name)));
  const overrides: Record<string, unknown> = pick(core);
  for (const stream of ['mainStream', 'secondaryStream'] as const) {
    const picked = pick(core[stream]);
    if (Object.keys(picked).length > 0) overrides[stream] = picked;
  }
  return overrides;
}
