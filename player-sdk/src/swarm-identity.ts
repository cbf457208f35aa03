/**
 * Who this viewer is in p2p-media-loader 2.3.x's swarms, computed the way the library does so the
 * SDK can ask the tracker about a swarm (seeding coordination) without reaching into its internals.
 *
 * - swarm string `v2-${swarmId}-${type}-${index}`, where swarmId defaults to the manifest URL
 *   without its query; info_hash = base64(sha1(swarm string)[0..15]), 20 ASCII characters;
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
