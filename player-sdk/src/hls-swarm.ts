/** The swarm (info_hash) of an hls.js level, in the swarm of the manifest's response URL without the query. */
import { generateStreamShortId } from 'p2p-media-loader-core';
import { levelStreamAttributes, swarmInfoHash, type LevelFields } from './swarm-identity.ts';

export function levelInfoHash(swarmId: string, level: LevelFields): string {
  return swarmInfoHash(swarmId, 'main', generateStreamShortId(levelStreamAttributes(level)));
}
