import type { LiveWindow } from './live-timeline.ts';

/**
 * A live media playlist for one window. Segment URIs are `<sequence><ext>`, relative to the
 * playlist, so every URL is unique for the life of the stream (and cacheable as immutable).
 */
export function renderLivePlaylist(window: LiveWindow, targetDuration: number, extensionOf: (index: number) => string): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${targetDuration}`,
    `#EXT-X-MEDIA-SEQUENCE:${window.mediaSequence}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${window.discontinuitySequence}`,
  ];
  for (const segment of window.segments) {
    if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(
      `#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.startMs).toISOString()}`,
      `#EXTINF:${(segment.durationMs / 1000).toFixed(3)},`,
      `${segment.sequence}${extensionOf(segment.index)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
