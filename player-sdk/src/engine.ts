/**
 * Bring your own player: Swarmcast mixed into the hls.js class a site (or its player: Vidstack,
 * Plyr, Media Chrome, Clappr…) already uses. This entry does not import hls.js: the site's copy
 * is the only one.
 *
 *     import Hls from 'hls.js';
 *     import { swarmcastHls } from '@swarmcast/player-sdk/engine';
 *     const SwarmcastHls = swarmcastHls(Hls, { trackers: ['wss://tracker.example'] });
 *     const hls = new SwarmcastHls(yourConfig);      // or hand the class to your player
 *     hls.swarmcast.on('stats', (stats) => …);        // the same handle as createPlayer's
 *
 * Every instance is its own session (players build a new hls.js per source); `destroy()` ends it.
 * An instance takes p2p-media-loader-hlsjs's per-player `p2p: { core, onHlsJsCreated }` as its
 * `injectMixin` class does: the core options the policy does not own pass through
 * (`core-options.ts`), and `onHlsJsCreated` is called with the instance at the end of its constructor.
 */
import type Hls from 'hls.js';
import type { HlsConfig } from 'hls.js';
import { ownedCoreOptions, p2pConfigOf, type P2PConfig } from './core-options.ts';
import { Emitter } from './events.ts';
import { chooseTransport } from './loading-policy.ts';
import { OptionError, resolveOptions, type SwarmcastOptions } from './options.ts';
import { createSession, type SwarmcastHandle } from './session.ts';
import { TokenSource } from './token-source.ts';
import type { P2PEngineAccess } from './session-handle.ts';

export type { QualityLevel, SwarmcastHandle } from './session.ts';
export type { P2PEngineAccess } from './session-handle.ts';
export type { CoreOptions, P2PConfig, SegmentValidator } from './core-options.ts';
export type { SwarmcastStats, IntegrityStats, SegmentSource } from './stats.ts';
export type {
  ChunkDownloadEvent,
  ChunkUploadEvent,
  FallbackEvent,
  Listener,
  PeerErrorEvent,
  PeerEvent,
  SegmentAbortEvent,
  SegmentErrorEvent,
  SegmentEvent,
  SegmentStartEvent,
  StreamType,
  SwarmcastErrorEvent,
  SwarmcastEventMap,
  SwarmcastEventName,
  TrackerEvent,
} from './events.ts';
export type { FallbackReason, TransportMode } from './loading-policy.ts';
export { OptionError, type SwarmcastOptions } from './options.ts';

/**
 * The options of `createPlayer` without what the player decides: `src` is optional (taken from
 * what hls.js loads), `autoplay` and `hlsConfig` are the player's. `token` must be a string here:
 * an hls.js instance is built synchronously, before a callback could answer.
 */
export type SwarmcastEngineOptions = Omit<SwarmcastOptions, 'src' | 'autoplay' | 'hlsConfig' | 'token'> & { src?: string; token?: string };

/** An hls.js instance with Swarmcast in it. */
export type SwarmcastHlsInstance = Hls & { readonly swarmcast: SwarmcastHandle };

/** An instance of the class `swarmcastHls` returns. */
export type SwarmcastHlsOf<H extends typeof Hls> = InstanceType<H> & {
  readonly swarmcast: SwarmcastHandle;
  /** `swarmcast.engine` under p2p-media-loader-hlsjs's name, so a migrated page's `hls.p2pEngine` calls keep working; null without P2P. */
  readonly p2pEngine: P2PEngineAccess | null;
};

/** The class `swarmcastHls` returns: constructed like the site's own Hls class, or like p2p-media-loader's `injectMixin` class (with `p2p`). */
export type SwarmcastHlsClass<H extends typeof Hls> = (new (config?: Partial<HlsConfig> & { p2p?: P2PConfig<SwarmcastHlsOf<H>> }) => SwarmcastHlsOf<H>) & H;

export function swarmcastHls<H extends typeof Hls>(HlsClass: H, input: SwarmcastEngineOptions = {}): SwarmcastHlsClass<H> {
  if (typeof HlsClass !== 'function' || typeof HlsClass.isSupported !== 'function') throw new TypeError('Swarmcast swarmcastHls: the first argument must be the hls.js class');
  if (input !== null && typeof input === 'object' && typeof (input as { token?: unknown }).token === 'function') {
    throw new OptionError('token', 'swarmcastHls takes the token as a string (mint it before building the player); createPlayer also accepts a callback');
  }
  // Checked now, so a bad option fails where it is written rather than in the player's constructor.
  const base = resolveOptions({ ...input, src: input.src ?? '', autoplay: false }, typeof location === 'undefined' ? undefined : location.href, { srcOptional: true });
  const transport = chooseTransport(base, { mediaSource: HlsClass.isSupported(), nativeHls: false, webRtc: typeof RTCPeerConnection === 'function' });
  const owned = ownedCoreOptions(base.policy, base.originToken);

  class SwarmcastHls extends (HlsClass as typeof Hls) {
    declare readonly swarmcast: SwarmcastHandle;

    constructor({ p2p, ...config }: Partial<HlsConfig> & { p2p?: unknown } = {}) {
      const { core, onHlsJsCreated } = p2pConfigOf<SwarmcastHlsOf<H>>(p2p, owned);
      const emitter = new Emitter();
      const session = createSession({
        options: { ...base },
        // Without MSE the site's player plays natively: the session still counts what it can.
        mode: transport.mode === 'p2p' ? 'p2p' : 'http',
        reason: transport.reason,
        tokens: new TokenSource(base, emitter),
        trackers: base.trackers,
        emitter,
        core,
      });
      super({ ...session.hlsConfig, ...config, ...session.loaderConfig });
      Object.defineProperty(this, 'swarmcast', { value: session.handle, enumerable: true });
      session.bind(this);
      onHlsJsCreated?.(this as unknown as SwarmcastHlsOf<H>);
    }

    get p2pEngine(): P2PEngineAccess | null {
      return this.swarmcast.engine;
    }

    override destroy(): void {
      this.swarmcast.destroy();
      super.destroy();
    }
  }
  return SwarmcastHls as unknown as SwarmcastHlsClass<H>;
}
