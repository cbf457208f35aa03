// Just enough of HLS media playlists for a load test: the segments, with absolute URLs. (Master
// playlists: master-playlist.ts, apart so that a virtual viewer's bundle does not carry hls.js.)

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
