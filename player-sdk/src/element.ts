/**
 * `<swarmcast-player src="…" tracker="…">`: a <video> with a Swarmcast player attached.
 *
 * Attributes that pick the stream and the swarm (`src`, `tracker` (space-separated), `swarm-id`,
 * `p2p="false"`) restart the player when they change. The others apply to the running player:
 * `level` (an index or `auto`), `latency` (seconds behind live; `live-latency` is the old name),
 * `token` (read again before each request that needs it), and the video's own `controls`, `muted`,
 * `autoplay` and `poster`.
 * The player's events reach the page as DOM events on the element: `swarmcast-stats`,
 * `swarmcast-fallback` and `swarmcast-error`, with the event as `detail`. `element.player` is the handle.
 */
import type { SwarmcastEventName } from './events.ts';
import type { SwarmcastOptions } from './options.ts';
import { createPlayer, type SwarmcastPlayer } from './player.ts';

export const ELEMENT_NAME = 'swarmcast-player';

/** Attributes that choose what is played and with whom: a change starts a new player. */
const RESTARTING = ['src', 'tracker', 'swarm-id', 'p2p', 'coordination'] as const;
const LIVE = ['level', 'latency', 'live-latency', 'token', 'controls', 'muted', 'autoplay', 'poster'] as const;
/** Player events forwarded as `swarmcast-<name>` DOM events. */
const FORWARDED: SwarmcastEventName[] = ['stats', 'fallback', 'error'];
/** A token attribute is cheap to read: ask it before every request rather than once a minute. */
const ATTRIBUTE_TOKEN_REFRESH_SEC = 0.001;

const levelOf = (value: string | null): number | 'auto' => (value === null || value === 'auto' ? 'auto' : Number(value));

export function optionsFromAttributes(get: (name: string) => string | null): SwarmcastOptions {
  const options: SwarmcastOptions = { src: get('src') ?? '', autoplay: get('autoplay') !== null };
  const trackers = get('tracker')?.split(/[\s,]+/).filter(Boolean);
  if (trackers) options.trackers = trackers;
  const swarmId = get('swarm-id');
  if (swarmId) options.swarmId = swarmId;
  if (get('token')) {
    // The attribute is read at every refresh; removing it leaves the last token in use.
    options.token = () => get('token') ?? '';
    options.tokenRefreshSeconds = ATTRIBUTE_TOKEN_REFRESH_SEC;
  }
  if (get('p2p') === 'false') options.p2p = false;
  if (get('coordination') === 'false') options.coordination = false;
  options.level = levelOf(get('level'));
  const latency = get('latency') ?? get('live-latency');
  if (latency !== null) options.liveLatency = Number(latency);
  return options;
}

/** Defines the element (once); returns its class. Called by the IIFE bundle automatically. */
export function defineSwarmcastElement(name = ELEMENT_NAME): CustomElementConstructor {
  const existing = customElements.get(name);
  if (existing) return existing;

  class SwarmcastPlayerElement extends HTMLElement {
    static observedAttributes = [...RESTARTING, ...LIVE];
    private video: HTMLVideoElement | null = null;
    /** Whether the running player was given a token (adding one later changes access: a restart). */
    private startedWithToken = false;
    player: SwarmcastPlayer | null = null;

    connectedCallback(): void {
      if (!this.video) {
        this.video = document.createElement('video');
        this.video.playsInline = true;
        this.video.style.width = '100%';
        this.appendChild(this.video);
      }
      this.applyVideoAttributes();
      this.restart();
    }

    disconnectedCallback(): void {
      this.player?.destroy();
      this.player = null;
    }

    attributeChangedCallback(attribute: string, before: string | null, after: string | null): void {
      if (!this.isConnected || !this.video || before === after) return;
      const player = this.player;
      if (!player || (RESTARTING as readonly string[]).includes(attribute) || (attribute === 'token' && !this.startedWithToken)) {
        this.restart();
        return;
      }
      if (attribute === 'level') player.setLevel(levelOf(after));
      else if (attribute === 'latency' || attribute === 'live-latency') {
        if (after !== null) player.setLiveLatency(Number(after));
      } else if (attribute === 'autoplay') {
        this.applyVideoAttributes();
        if (after !== null) this.video.play().catch(() => undefined);
      } else if (attribute !== 'token') this.applyVideoAttributes();
    }

    private applyVideoAttributes(): void {
      const video = this.video!;
      video.controls = this.hasAttribute('controls');
      video.muted = this.hasAttribute('muted');
      video.autoplay = this.hasAttribute('autoplay');
      const poster = this.getAttribute('poster');
      if (poster === null) video.removeAttribute('poster');
      else video.poster = poster;
    }

    private restart(): void {
      this.player?.destroy();
      this.player = null;
      if (!this.getAttribute('src')) return;
      try {
        this.startedWithToken = this.hasAttribute('token');
        const player = createPlayer(this.video!, optionsFromAttributes((attribute) => this.getAttribute(attribute)));
        for (const event of FORWARDED) player.on(event, (detail) => this.dispatchEvent(new CustomEvent(`swarmcast-${event}`, { detail, bubbles: true })));
        this.player = player;
      } catch (error) {
        this.dispatchEvent(new CustomEvent('swarmcast-error', { detail: { code: 'options', message: String(error), fatal: true }, bubbles: true }));
      }
    }
  }

  customElements.define(name, SwarmcastPlayerElement);
  return SwarmcastPlayerElement;
}
