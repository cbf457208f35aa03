// The renditions of a master playlist, parsed by hls.js's own parser as the player's hls.js parses
// them, so a virtual viewer names each rendition's swarm as the player does.
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
