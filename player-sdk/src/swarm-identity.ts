/**
 * Who this viewer is in p2p-media-loader 2.3.x's swarms, computed the way the library does so the
 * SDK can ask the tracker about a swarm (seeding coordination) without reaching into its internals.
 *
 * - swarm string `v2-${swarmId}-${type}-${index}`, where swarmId defaults to the manifest URL
 *   without its query; info_hash = base64(sha1(swarm string)[0..15]), 20 ASCII characters;
 * - a level's index: `generateStreamShortId` of the attributes {@link levelStreamAttributes} picks,
 *   as p2p-media-loader-hlsjs 2.3.1's segment-manager.ts does (the core's function, called by the
 *   caller: this module stays free of the core, for tools that never load it);
 * - peer_id: the library appends random characters to `trackerClientVersionPrefix` up to 20; a
 *   prefix of 20 characters is the whole peer_id, the same in every swarm of this viewer (a
 *   coordinated viewer's comes from `@swarmcast/protocol/peer-proof`, which the tracker can check).
 */
import { sha1 } from '@noble/hashes/legacy.js';

export type StreamType = 'main' | 'secondary';

export function swarmInfoHash(swarmId: string, type: StreamType, index: number | string): string {
  const digest = sha1(new TextEncoder().encode(`v2-${swarmId}-${type}-${index}`)).subarray(0, 15);
  return btoa(String.fromCharCode(...digest));
}

/** p2p-media-loader's own swarm id for a manifest (its `setManifestResponseUrl` drops the query). */
export function defaultSwarmId(manifestUrl: string): string {
  return manifestUrl.split('?')[0]!;
}

/** What of an hls.js level names its stream (a parsed level, or the same fields as plain JSON). */
export interface LevelFields {
  bitrate: number;
  maxBitrate?: number;
  videoCodec?: string;
  width?: number;
  height?: number;
  attrs: { 'FRAME-RATE'?: string; 'VIDEO-RANGE'?: string };
}

/** The argument p2p-media-loader-hlsjs gives `generateStreamShortId` for a level: its bitrate alone when that is 0. */
export function levelStreamAttributes(level: LevelFields) {
  const bitrate = level.maxBitrate ?? level.bitrate;
  if (bitrate === 0) return { bitrate };
  return {
    bitrate,
    codecs: level.videoCodec,
    width: level.width,
    height: level.height,
    frameRate: level.attrs['FRAME-RATE'],
    videoRange: level.attrs['VIDEO-RANGE'],
  };
}
