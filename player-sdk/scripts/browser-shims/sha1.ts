/**
 * `@noble/hashes/legacy.js`'s `sha1` in the browser bundles, on p2p-media-loader-core's own SHA-1
 * (which the bundle carries anyway for its info hashes): 4 KiB less. Every caller hashes the
 * UTF-8 of a string (the swarm string, the peer_id proof), so decoding the bytes back to that
 * string is lossless; `test/browser-shims.test.ts` holds it equal to noble's.
 */
import { sha1 as coreSha1 } from 'p2pml-core-sha1';

export function sha1(bytes: Uint8Array): Uint8Array {
  const binary = coreSha1(new TextDecoder().decode(bytes));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
