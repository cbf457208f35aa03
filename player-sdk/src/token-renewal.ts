/**
 * Tracker tokens renewed before they expire. The tracker closes a socket with 4401 once its
 * token's `exp` passes, and bittorrent-tracker reconnects to the URL it was built with: a viewer
 * whose first token ran out would be refused until the page reloads. So, a while before `exp`, the
 * `token` callback is asked again and p2p-media-loader is moved to tracker URLs carrying the answer.
 * A token string cannot be renewed; neither can a token whose expiry cannot be read.
 *
 * p2p-media-loader-core 2.3.1 builds a tracker client (and its URLs) once per stream loader, from
 * the stream config that `applyDynamicConfig` updates (`announceTrackers` is not in its
 * dynamic-config type, but is copied all the same); toggling a stream's `isP2PDisabled` drops its
 * loader, and its next segment request builds a new one. Peers are found again through the
 * tracker; the segment cache stays.
 */
import type Hls from 'hls.js';
import type { Fragment } from 'hls.js';
import type { DynamicCoreConfig } from 'p2p-media-loader-core';
import type { HlsJsP2PEngine } from 'p2p-media-loader-hlsjs';
import { listenTo } from './hls-listeners.ts';
import { withToken } from './options.ts';
import type { TokenSource } from './token-source.ts';

/** Renew this long before `exp`: the callback (often a request to the site's backend) has time to answer, or fail and be asked again. */
const RENEW_LEAD_MS = 60_000;
/** A short-lived token is renewed once this share of what it had left has passed, if that is later. */
const RENEW_AFTER_SHARE = 2 / 3;
/** Never sooner than this after an answer: bounds how often a callback handing out short-lived or expired tokens is asked. */
export const MIN_RENEW_DELAY_MS = 10_000;
/**
 * P2P stays off this long while the tracker sockets are replaced. The new socket announces the same
 * peer_id (p2p-media-loader keeps one per swarm, coordination a fixed one), which the tracker
 * refuses (`peer_id_taken`) until it has seen the old socket close, and bittorrent-tracker waits up
 * to 1 s for an answer in flight before it closes a socket.
 */
export const RECONNECT_PAUSE_MS = 2500;
/** setTimeout fires at once for longer delays (2^31 − 1 ms); a token lasting longer is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The token's `exp` in Unix milliseconds: its payload is base64url JSON before the '.' (README, "Security model"). */
export function tokenExpiryMs(token: string): number | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const claims: unknown = JSON.parse(atob(token.slice(0, dot).replaceAll('-', '+').replaceAll('_', '/')));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When (Unix ms) a token received at `nowMs` is due for replacement: RENEW_LEAD_MS before it
 * expires, or after RENEW_AFTER_SHARE of its remaining life when that is later; never within
 * MIN_RENEW_DELAY_MS. Infinity when it has no readable expiry. (The viewer's clock is trusted to be
 * roughly right; a token expired on arrival is asked for again after MIN_RENEW_DELAY_MS.)
 */
export function renewalDueMs(token: unknown, nowMs: number): number {
  const expiry = typeof token === 'string' ? tokenExpiryMs(token) : undefined;
  if (expiry === undefined) return Infinity;
  const left = expiry - nowMs;
  return nowMs + Math.max(MIN_RENEW_DELAY_MS, left - RENEW_LEAD_MS, left * RENEW_AFTER_SHARE);
}

export interface TrackerTokenRenewalSetup {
  engine: Pick<HlsJsP2PEngine, 'applyDynamicConfig' | 'getConfig'>;
  tokens: TokenSource;
  /** Tracker URLs without the token (the option's). */
  trackers: readonly string[];
  /** Each set of renewed tracker URLs, for what else talks to the tracker (coordination). */
  onRenewed?: (trackers: string[]) => void;
}

/** p2p-media-loader's streams: hls.js levels are `main`, audio tracks `secondary`. */
type StreamType = 'main' | 'secondary';
const STREAM_CONFIG = { main: 'mainStream', secondary: 'secondaryStream' } as const;

/** Keeps p2p-media-loader's tracker URLs on a current token until `stop()`. */
export class TrackerTokenRenewal {
  private last: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly pauses = new Map<StreamType, ReturnType<typeof setTimeout>>();
  /** Streams whose P2P loader still announces the previous token. */
  private readonly stale = new Set<StreamType>();
  /** Streams with a fragment in flight in hls.js (see `watch`). */
  private readonly loading = new Set<StreamType>();
  private stopped = false;
  private unwatch = () => {};

  constructor(private readonly setup: TrackerTokenRenewalSetup) {
    this.last = setup.tokens.current;
    this.schedule();
  }

  /**
   * Follows hls.js's fragment loads. Dropping a stream's P2P loader fails the hls.js request it
   * is serving, with no HTTP status, which hls.js does not retry: that stream would load nothing
   * more. So a loader is dropped only while hls.js waits on no fragment of its stream.
   */
  watch(hls: Hls): void {
    const { Events } = hls.constructor as typeof Hls;
    const streamOf = (frag: Fragment): StreamType | null => (frag.type === 'main' ? 'main' : frag.type === 'audio' ? 'secondary' : null);
    const settled = (frag: Fragment | undefined) => {
      const stream = frag && streamOf(frag);
      if (!stream) return;
      this.loading.delete(stream);
      this.restartStale();
    };
    this.unwatch = listenTo(hls, {
      [Events.FRAG_LOADING]: (_event, { frag }) => {
        const stream = streamOf(frag);
        if (stream) this.loading.add(stream);
      },
      [Events.FRAG_LOADED]: (_event, { frag }) => settled(frag),
      [Events.FRAG_LOAD_EMERGENCY_ABORTED]: (_event, { frag }) => settled(frag),
      [Events.ERROR]: (_event, { frag }) => settled(frag),
    });
  }

  stop(): void {
    this.stopped = true;
    this.unwatch();
    clearTimeout(this.timer);
    for (const pause of this.pauses.values()) clearTimeout(pause);
  }

  private schedule(): void {
    const due = this.setup.tokens.renewalDue;
    if (this.stopped || due === Infinity) return;
    // Past due: the callback failed (or answered a token due at once); ask again later. Timers may
    // fire a fraction of a millisecond early, hence the rounding up.
    const wait = due - Date.now();
    this.timer = setTimeout(() => void this.check(), Math.min(MAX_TIMER_MS, wait > 0 ? Math.ceil(wait) : MIN_RENEW_DELAY_MS));
  }

  private async check(): Promise<void> {
    const token = await this.setup.tokens.fresh();
    if (this.stopped) return;
    if (token && token !== this.last) {
      this.last = token;
      const trackers = this.setup.trackers.map((tracker) => withToken(tracker, token));
      this.setup.onRenewed?.(trackers);
      this.setup.engine.applyDynamicConfig({ core: { announceTrackers: trackers } as DynamicCoreConfig });
      this.stale.add('main').add('secondary');
      this.restartStale();
    }
    this.schedule();
  }

  /** New P2P loaders (built at the stream's next segment request) open their tracker socket with the new URLs. */
  private restartStale(): void {
    const { engine } = this.setup;
    for (const stream of this.stale) {
      if (this.stopped || this.loading.has(stream)) continue;
      this.stale.delete(stream);
      const key = STREAM_CONFIG[stream];
      // Peers held off (the integrity manifest not in yet): no loader, no socket; the new URLs are used when they start.
      if (engine.getConfig().core[key].isP2PDisabled) continue;
      engine.applyDynamicConfig({ core: { [key]: { isP2PDisabled: true } } });
      this.pauses.set(stream, setTimeout(() => engine.applyDynamicConfig({ core: { [key]: { isP2PDisabled: false } } }), RECONNECT_PAUSE_MS));
    }
  }
}
