// Just enough of HLS playlists for a load test: the renditions of a master playlist and the
// segments of a media playlist, with absolute URLs.
import type { LevelFields } from '@swarmcast/player-sdk/policy';
import { M3U8Parser } from 'hls.js';

export interface Variant {
  /** The rendition's folder name (e.g. `360p`), or its URI when it has none. */
  name: string;
  bandwidth: number;
  url: string;
  /** What names its swarm, as hls.js parses it for the player (plain JSON, for a viewer's options). */
  level: LevelFields;
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

/** The variants of a master playlist, parsed by hls.js's own parser as the player's hls.js parses them. */
export function parseMasterPlaylist(text: string, baseUrl: string): Variant[] {
  const folder = new URL('.', baseUrl).href;
  const variants = M3U8Parser.parseMasterPlaylist(text, baseUrl).levels.map((level): Variant => {
    const relative = level.url.startsWith(folder) ? level.url.slice(folder.length) : level.url;
    return {
      name: relative.includes('/') ? relative.split('/')[0]! : relative,
      bandwidth: level.bitrate,
      url: level.url,
      level: {
        bitrate: level.bitrate,
        ...(level.videoCodec === undefined ? {} : { videoCodec: level.videoCodec }),
        ...(level.width === undefined ? {} : { width: level.width }),
        ...(level.height === undefined ? {} : { height: level.height }),
        attrs: { 'FRAME-RATE': level.attrs['FRAME-RATE'], 'VIDEO-RANGE': level.attrs['VIDEO-RANGE'] },
      },
    };
  });
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
