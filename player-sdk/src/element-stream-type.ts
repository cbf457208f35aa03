/**
 * What media UIs ask a custom media element about a stream beyond HTMLMediaElement: media-chrome
 * (and players built like hls-video-element) read `streamType` and `targetLiveWindow`, and listen
 * for their change events. hls.js gives a live stream a finite `duration`, so without them a UI
 * shows a live event as on-demand, with a seek bar and no LIVE button.
 */
import type Hls from 'hls.js';

export type MediaStreamType = 'live' | 'on-demand' | 'unknown';

export interface StreamShape {
  streamType: MediaStreamType;
  /** Seconds of the live stream a viewer may seek back in: 0 for a sliding window, Infinity for an EVENT playlist; NaN when not live. */
  targetLiveWindow: number;
}

/** From the playlist hls.js last loaded; in native-HLS mode (no hls.js) from the video's duration, as the browser reports live. */
export function streamShapeOf(hls: Hls | null, video: HTMLVideoElement): StreamShape {
  const details = hls?.latestLevelDetails;
  const live = hls ? details?.live : video.duration === Infinity ? true : Number.isFinite(video.duration) ? false : undefined;
  if (live === undefined) return { streamType: 'unknown', targetLiveWindow: Number.NaN };
  if (!live) return { streamType: 'on-demand', targetLiveWindow: Number.NaN };
  return { streamType: 'live', targetLiveWindow: details?.type === 'EVENT' ? Number.POSITIVE_INFINITY : 0 };
}

/** Fires `streamtypechange` / `targetlivewindowchange` on `target` when the video's metadata changes them. */
export function watchStreamShape(video: HTMLVideoElement, target: HTMLElement, read: () => StreamShape): void {
  let last = read();
  const check = () => {
    const now = read();
    const changed = [now.streamType !== last.streamType && 'streamtypechange', !Object.is(now.targetLiveWindow, last.targetLiveWindow) && 'targetlivewindowchange'];
    last = now;
    for (const type of changed) if (type) target.dispatchEvent(new Event(type));
  };
  for (const type of ['loadedmetadata', 'durationchange', 'emptied']) video.addEventListener(type, check);
}
