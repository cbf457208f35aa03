/**
 * What the three examples share: where the stream and tracker are (the page's query, or the
 * stack `npm start` runs), and a line of P2P stats under the player.
 * `?src=` playlist URL, `?tracker=` WebSocket URL, `?ice=none` no STUN server (closed test networks).
 */
import type { SwarmcastHandle } from '@swarmcast/player-sdk/engine';

export function exampleSettings(): { src: string; trackers: string[]; rtcConfig?: RTCConfiguration } {
  const query = new URLSearchParams(location.search);
  return {
    src: query.get('src') ?? 'http://localhost:8080/live/sample/master.m3u8',
    trackers: [query.get('tracker') ?? 'ws://localhost:8000'],
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
