/**
 * What hls.js fetched itself is counted here: everything without p2p-media-loader, and with it
 * whatever its loader hands to hls.js's own (a segment its core does not know, as after an origin
 * outage, or while peers are held off), which raises no p2p-media-loader event. A segment
 * p2p-media-loader loaded is counted by the engine's events, not again at hls.js's FRAG_LOADED.
 */
import type Hls from 'hls.js';
import type { CoreEventMap } from 'p2p-media-loader-core';
import type { HlsJsP2PEngine } from 'p2p-media-loader-hlsjs';
import type { Emitter } from './events.ts';
import { listenTo } from './hls-listeners.ts';
import type { StatsRecorder } from './stats.ts';

/** Segments p2p-media-loader loaded ahead that hls.js may still ask for (a minute of live segments is far fewer). */
const MAX_COUNTED_SEGMENTS = 256;

export function countHlsFetches(hls: Hls, engine: HlsJsP2PEngine | null, recorder: StatsRecorder, emitter: Emitter): { destroy(): void } {
  const { Events } = hls.constructor as typeof Hls;
  /** Segments p2p-media-loader reported (and counted) that hls.js has not taken yet. */
  const countedByEngine = new Set<string>();
  const loadedByEngine: CoreEventMap['onSegmentLoaded'] = ({ segmentUrl }) => {
    countedByEngine.add(segmentUrl);
    if (countedByEngine.size > MAX_COUNTED_SEGMENTS) countedByEngine.delete(countedByEngine.values().next().value!);
  };
  engine?.addEventListener('onSegmentLoaded', loadedByEngine);
  const unlisten = listenTo(hls, {
    [Events.FRAG_LOADED]: (_event, { frag }) => {
      if (countedByEngine.delete(frag.url)) return;
      recorder.downloaded(frag.stats.loaded, 'http');
      recorder.segmentLoaded('http');
      emitter.emit('segment', { url: frag.url, source: 'http', bytes: frag.stats.loaded });
    },
  });
  return {
    destroy() {
      unlisten();
      engine?.removeEventListener('onSegmentLoaded', loadedByEngine);
    },
  };
}
