/**
 * Just enough HLS parsing to loop a VOD rendition as live: variant URIs of a master playlist and
 * the segments (URI, duration) of a media playlist. Anything the live loop cannot reproduce
 * (byte-range segments, init sections, encryption) is rejected with the tag that caused it.
 */

export interface MediaPlaylist {
  targetDuration: number;
  segments: { uri: string; durationMs: number }[];
}

const UNLOOPABLE_TAGS = ['#EXT-X-BYTERANGE', '#EXT-X-MAP', '#EXT-X-KEY'];

export function parseMediaPlaylist(text: string): MediaPlaylist {
  let targetDuration = 0;
  let pendingDurationMs: number | null = null;
  const segments: MediaPlaylist['segments'] = [];

  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      targetDuration = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
    } else if (line.startsWith('#EXTINF:')) {
      // Whole milliseconds keep the live clock arithmetic exact (integers only).
      pendingDurationMs = Math.round(Number.parseFloat(line.slice('#EXTINF:'.length)) * 1000);
    } else if (UNLOOPABLE_TAGS.some((tag) => line.startsWith(tag))) {
      throw new Error(`${line.split(':')[0]} is not supported for live looping`);
    } else if (!line.startsWith('#')) {
      if (pendingDurationMs === null || !(pendingDurationMs > 0)) throw new Error(`segment ${line} has no valid #EXTINF`);
      segments.push({ uri: line, durationMs: pendingDurationMs });
      pendingDurationMs = null;
    }
  }
  if (!(targetDuration > 0)) throw new Error('missing #EXT-X-TARGETDURATION');
  if (segments.length === 0) throw new Error('no segments');
  return { targetDuration, segments };
}

/** URIs of the `#EXT-X-STREAM-INF` variants, in order. */
export function parseMasterVariants(text: string): string[] {
  const uris: string[] = [];
  let expectUri = false;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-STREAM-INF:')) expectUri = true;
    else if (expectUri && !line.startsWith('#')) {
      uris.push(line);
      expectUri = false;
    }
  }
  return uris;
}
