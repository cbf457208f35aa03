/**
 * `<swarmcast-player src="…" tracker="…">`: a media element. Its <video> lives in its shadow root
 * (`::part(video)`); the element answers the HTMLMediaElement API and fires the media events
 * itself (`element-media-proxy.ts`), so media UIs such as media-chrome's `slot="media"` drive it.
 *
 * Attributes set the player's options (`element-attributes.ts`). Those that choose what is played
 * and how (`src`, `tracker`, `swarm-id`, `p2p`, `integrity`, `rtc-config`, …) start a new player
 * when they change, as `load()` does; `level`, `latency`, `token` and `autoplay` apply to the
 * running one. The <video> attributes (`controls`, `muted`, `poster`, …) pass to the video.
 * The player's events reach the page as `swarmcast-stats`, `swarmcast-fallback` and
 * `swarmcast-error` DOM events (bubbling, the event as `detail`); a bad attribute is a
 * `swarmcast-error` with code `options`. `element.player` is the handle.
 */
import {
  isOptionAttribute,
  levelOf,
  LIVE_ATTRIBUTES,
  MEDIA_ATTRIBUTES,
  OBSERVED_ATTRIBUTES,
  optionsFromAttributes,
  reflectMediaAttribute,
} from './element-attributes.ts';
import { defineMediaProxy, forwardMediaEvents, PROXIED_PROPERTIES, type MediaProxy } from './element-media-proxy.ts';
import { type MediaStreamType, type StreamShape, streamShapeOf, watchStreamShape } from './element-stream-type.ts';
import type { SwarmcastErrorEvent, SwarmcastEventMap, SwarmcastEventName } from './events.ts';
import { createPlayer, type SwarmcastPlayer } from './player.ts';

export const ELEMENT_NAME = 'swarmcast-player';

/** Player events forwarded as `swarmcast-<name>` DOM events. */
const FORWARDED: SwarmcastEventName[] = ['stats', 'fallback', 'error'];

const SHADOW = '<style>:host{display:block}video{display:block;width:100%;height:100%}</style><video part="video"></video>';

export interface SwarmcastPlayerElementEventMap extends HTMLElementEventMap {
  streamtypechange: Event;
  targetlivewindowchange: Event;
  'swarmcast-stats': CustomEvent<SwarmcastEventMap['stats']>;
  'swarmcast-fallback': CustomEvent<SwarmcastEventMap['fallback']>;
  'swarmcast-error': CustomEvent<SwarmcastErrorEvent>;
}

/** `<swarmcast-player>`: the HTMLMediaElement API it answers, its player and its events. */
export interface SwarmcastPlayerElement extends HTMLElement, MediaProxy {
  /** The `src` attribute: setting it starts a new player. */
  src: string;
  /** The running player's handle; null without `src`, or when the attributes are not valid. */
  readonly player: SwarmcastPlayer | null;
  /** `live`, `on-demand`, or `unknown` until the playlist is in (media-chrome's custom media element API; `streamtypechange`). */
  readonly streamType: MediaStreamType;
  /** Seconds a live viewer may seek back: 0 (sliding window) or Infinity (EVENT playlist); NaN when not live (`targetlivewindowchange`). */
  readonly targetLiveWindow: number;
  /** Starts a new player from the attributes (as a change of `src` does). */
  load(): void;
  addEventListener<K extends keyof SwarmcastPlayerElementEventMap>(
    type: K,
    listener: (this: SwarmcastPlayerElement, event: SwarmcastPlayerElementEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof SwarmcastPlayerElementEventMap>(
    type: K,
    listener: (this: SwarmcastPlayerElement, event: SwarmcastPlayerElementEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'swarmcast-player': SwarmcastPlayerElement;
  }
}

export interface SwarmcastPlayerElementConstructor {
  new (): SwarmcastPlayerElement;
  readonly prototype: SwarmcastPlayerElement;
  readonly observedAttributes: readonly string[];
}

/** Defines the element (once); returns its class. Called by the IIFE bundle automatically. */
export function defineSwarmcastElement(name = ELEMENT_NAME): SwarmcastPlayerElementConstructor {
  const existing = customElements.get(name);
  if (existing) return existing as unknown as SwarmcastPlayerElementConstructor;
  const videos = new WeakMap<HTMLElement, HTMLVideoElement>();

  class SwarmcastPlayerElementImpl extends HTMLElement {
    static observedAttributes = OBSERVED_ATTRIBUTES;
    private readonly video: HTMLVideoElement;
    /** Whether the running player was given a token (adding one later changes access: a restart). */
    private startedWithToken = false;
    /** Not `isConnected`: an upgrade calls attributeChangedCallback on a connected element before connectedCallback. */
    private connected = false;
    player: SwarmcastPlayer | null = null;

    constructor() {
      super();
      const shadow = this.attachShadow({ mode: 'open' });
      shadow.innerHTML = SHADOW;
      this.video = shadow.querySelector('video')!;
      videos.set(this, this.video);
      forwardMediaEvents(this.video, this);
      watchStreamShape(this.video, this, () => this.shape());
    }

    get streamType(): MediaStreamType {
      return this.shape().streamType;
    }

    get targetLiveWindow(): number {
      return this.shape().targetLiveWindow;
    }

    private shape(): StreamShape {
      return streamShapeOf(this.player?.hls ?? null, this.video);
    }

    get src(): string {
      return this.getAttribute('src') ?? '';
    }

    set src(value: string) {
      this.setAttribute('src', value);
    }

    connectedCallback(): void {
      // A page may have set properties before this class was defined: they hide the prototype's accessors.
      for (const property of [...PROXIED_PROPERTIES, 'src']) {
        if (!Object.hasOwn(this, property)) continue;
        const value = (this as unknown as Record<string, unknown>)[property];
        delete (this as unknown as Record<string, unknown>)[property];
        (this as unknown as Record<string, unknown>)[property] = value;
      }
      this.connected = true;
      this.restart();
    }

    disconnectedCallback(): void {
      this.connected = false;
      this.player?.destroy();
      this.player = null;
    }

    load(): void {
      if (this.connected) this.restart();
    }

    attributeChangedCallback(attribute: string, before: string | null, after: string | null): void {
      if (before === after) return;
      if (MEDIA_ATTRIBUTES.includes(attribute)) reflectMediaAttribute(this.video, attribute, after);
      if (!this.connected || !isOptionAttribute(attribute)) return;
      const player = this.player;
      if (!player || !LIVE_ATTRIBUTES.includes(attribute) || (attribute === 'token' && !this.startedWithToken)) {
        this.restart();
        return;
      }
      try {
        if (attribute === 'level') player.setLevel(levelOf(after));
        else if (attribute === 'latency' || attribute === 'live-latency') {
          if (after !== null) player.setLiveLatency(Number(after));
        } else if (attribute === 'autoplay' && after !== null) this.video.play().catch(() => undefined);
      } catch (error) {
        this.optionsError(error);
      }
    }

    private restart(): void {
      this.player?.destroy();
      this.player = null;
      if (!this.getAttribute('src')) return;
      try {
        this.startedWithToken = this.hasAttribute('token');
        const player = createPlayer(this.video, optionsFromAttributes((attribute) => this.getAttribute(attribute)));
        for (const event of FORWARDED) player.on(event, (detail) => this.dispatchEvent(new CustomEvent(`swarmcast-${event}`, { detail, bubbles: true })));
        this.player = player;
      } catch (error) {
        this.optionsError(error);
      }
    }

    private optionsError(error: unknown): void {
      const detail: SwarmcastErrorEvent = { code: 'options', message: String(error), fatal: this.player === null };
      this.dispatchEvent(new CustomEvent('swarmcast-error', { detail, bubbles: true }));
    }
  }

  defineMediaProxy(SwarmcastPlayerElementImpl.prototype, (element) => videos.get(element)!);
  customElements.define(name, SwarmcastPlayerElementImpl);
  return SwarmcastPlayerElementImpl as unknown as SwarmcastPlayerElementConstructor;
}
