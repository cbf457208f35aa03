/**
 * hls.js listeners registered together and removed together: each part of a session owns its
 * listeners and removes them when it is destroyed, as hls.js's controllers pair
 * `registerListeners` with `unregisterListeners`.
 */
import type Hls from 'hls.js';
import type { HlsListeners } from 'hls.js';

/** Registers the listeners; returns the function that removes them. */
export function listenTo(hls: Hls, listeners: Partial<HlsListeners>): () => void {
  const entries = Object.entries(listeners) as Array<[keyof HlsListeners, HlsListeners[keyof HlsListeners]]>;
  for (const [event, listener] of entries) hls.on(event, listener);
  return () => {
    for (const [event, listener] of entries) hls.off(event, listener);
  };
}
