/**
 * What the examples share: where the stream and tracker are, and a line of P2P stats under the
 * player. Each setting comes from the page's query, else from the Vite env (`.env.local` or the
 * shell: `VITE_SWARMCAST_SRC`, `VITE_SWARMCAST_TRACKER`), else from the stack `npm start` runs.
 * `?src=` playlist URL, `?tracker=` WebSocket URL, `?ice=none` no STUN server (closed test networks).
 */
import type { SwarmcastHandle } from '@swarmcast/player-sdk/engine';

const DEFAULT_SRC = 'http://localhost:8080/live/sample/master.m3u8';
const DEFAULT_TRACKER = 'ws://localhost:8000';

export function exampleSettings(): { src: string; trackers: string[]; rtcConfig?: RTCConfiguration } {
  const query = new URLSearchParams(location.search);
  return {
    src: query.get('src') ?? import.meta.env.VITE_SWARMCAST_SRC ?? DEFAULT_SRC,
    trackers: [query.get('tracker') ?? import.meta.env.VITE_SWARMCAST_TRACKER ?? DEFAULT_TRACKER],
    ...(query.get('ice') === 'none' ? { rtcConfig: { iceServers: [] } } : {}),
  };
}

/** Shows the handle's stats every second; `window.swarmcast` is the handle (the tests read it). */
export function showStats(swarmcast: SwarmcastHandle): void {
  (window as unknown as { swarmcast: SwarmcastHandle }).swarmcast = swarmcast;
  const line = document.getElementById('stats')!;
  swarmcast.on('stats', (stats) => {
    line.textContent = `${stats.offloadPercent}% from peers · ${stats.peers} peers · ${stats.liveLatency ?? '–'} s behind live · ${stats.mode}`;
  });
}
