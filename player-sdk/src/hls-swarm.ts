/**
 * The swarm (info_hash) of an hls.js level, as p2p-media-loader-hlsjs 2.3.1 names it: stream
 * index = `generateStreamShortId` of the level's peak bitrate, codecs, size, frame rate and video
 * range (its segment-manager.ts), in the swarm of the manifest's response URL without the query.
 */
import type { LevelParsed } from 'hls.js';
import { generateStreamShortId } from 'p2p-media-loader-core';
import { swarmInfoHash } from './swarm-identity.ts';

type LevelFields = Pick<LevelParsed, 'bitrate' | 'videoCodec' | 'width' | 'height' | 'attrs'> & { maxBitrate?: number };

export function levelInfoHash(swarmId: string, level: LevelFields): string {
  const bitrate = level.maxBitrate ?? level.bitrate;
  const missing = bitrate === 0;
  const index = generateStreamShortId({
    bitrate,
    codecs: missing ? undefined : level.videoCodec,
    width: missing ? undefined : level.width,
    height: missing ? undefined : level.height,
    frameRate: missing ? undefined : level.attrs['FRAME-RATE'],
    videoRange: missing ? undefined : level.attrs['VIDEO-RANGE'],
  });
  return swarmInfoHash(swarmId, 'main', index);
}
