/**
 * `<swarmcast-player src="…" tracker="…">`: a <video> with a Swarmcast player attached.
 * Attributes: `src` (required), `tracker` (space-separated tracker URLs), `swarm-id`, `token`,
 * `p2p="false"`, `level`, `live-latency`; the inner video gets `controls`, `muted` and `playsinline`.
 * Changing an attribute restarts the player. `element.player` is the `SwarmcastPlayer` handle.
 */
import type { SwarmcastOptions } from './options.ts';
import { createPlayer, type SwarmcastPlayer } from './player.ts';

export const ELEMENT_NAME = 'swarmcast-player';

export function optionsFromAttributes(get: (name: string) => string | null): SwarmcastOptions {
  const options: SwarmcastOptions = { src: get('src') ?? '' };
  const trackers = get('tracker')?.split(/[\s,]+/).filter(Boolean);
  if (trackers) options.trackers = trackers;
  const swarmId = get('swarm-id');
  if (swarmId) options.swarmId = swarmId;
  const token = get('token');
  if (token) options.token = token;
  if (get('p2p') === 'false') options.p2p = false;
  const level = get('level');
  if (level !== null && level !== 'auto') options.level = Number(level);
  const latency = get('live-latency');
  if (latency !== null) options.liveLatency = Number(latency);
  return options;
}

/** Defines the element (once); returns its class. Called by the IIFE bundle automatically. */
export function defineSwarmcastElement(name = ELEMENT_NAME): CustomElementConstructor {
  const existing = customElements.get(name);
  if (existing) return existing;

  class SwarmcastPlayerElement extends HTMLElement {
    static observedAttributes = ['src', 'tracker', 'swarm-id', 'token', 'p2p', 'level', 'live-latency'];
    private video: HTMLVideoElement | null = null;
    player: SwarmcastPlayer | null = null;

    connectedCallback(): void {
      if (!this.video) {
        this.video = document.createElement('video');
        Object.assign(this.video, { controls: true, muted: true, playsInline: true });
        this.video.style.width = '100%';
        this.appendChild(this.video);
      }
      this.restart();
    }

    disconnectedCallback(): void {
      this.player?.destroy();
      this.player = null;
    }

    attributeChangedCallback(): void {
      if (this.isConnected && this.video) this.restart();
    }

    private restart(): void {
      this.player?.destroy();
      this.player = null;
      if (!this.getAttribute('src')) return;
      try {
        this.player = createPlayer(this.video!, optionsFromAttributes((attribute) => this.getAttribute(attribute)));
      } catch (error) {
        this.dispatchEvent(new CustomEvent('error', { detail: error }));
      }
    }
  }

  customElements.define(name, SwarmcastPlayerElement);
  return SwarmcastPlayerElement;
}
