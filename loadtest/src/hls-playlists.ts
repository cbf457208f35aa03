// Just enough of HLS playlists for a load test: the renditions of a master playlist and the
// segments of a media playlist, with absolute URLs.

export interface Variant {
  /** The rendition's folder name (e.g. `360p`), or its URI when it has none. */
  name: string;
  bandwidth: number;
  url: string;
}

export interface MediaSegment {
  sequence: number;
  duration: number;
  url: string;
}

export interface MediaPlaylist {
  targetDuration: number;
  mediaSequence: number;
  endList: boolean;
  segments: MediaSegment[];
}

export function parseMasterPlaylist(text: string, baseUrl: string): Variant[] {
  const variants: Variant[] = [];
  let bandwidth: number | undefined;
  for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      bandwidth = Number(/BANDWIDTH=(\d+)/.exec(line)?.[1] ?? 0);
    } else if (line !== '' && !line.startsWith('#') && bandwidth !== undefined) {
      variants.push({ name: line.includes('/') ? line.split('/')[0]! : line, bandwidth, url: new URL(line, baseUrl).href });
      bandwidth = undefined;
    }
  }
  if (variants.length === 0) throw new Error(`${baseUrl}: no #EXT-X-STREAM-INF variant in the master playlist`);
  return variants;
}

export function parseMediaPlaylist(text: string, baseUrl: string): MediaPlaylist {
  let targetDuration = NaN;
  let mediaSequence = 0;
  let endList = false;
  let duration: number | undefined;
  const segments: MediaSegment[] = [];
  for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
    if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-ENDLIST')) endList = true;
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line !== '' && !line.startsWith('#') && duration !== undefined) {
      segments.push({ sequence: mediaSequence + segments.length, duration, url: new URL(line, baseUrl).href });
      duration = undefined;
    }
  }
  if (!(targetDuration > 0)) throw new Error(`${baseUrl}: no #EXT-X-TARGETDURATION in the media playlist`);
  return { targetDuration, mediaSequence, endList, segments };
}

/** GETs a URL as text; a non-2xx is an error naming the URL and status. */
export async function fetchText(url: string, signal?: AbortSignal): Promise<string> {
  const response = await fetch(url, signal ? { signal } : {});
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.text();
}
