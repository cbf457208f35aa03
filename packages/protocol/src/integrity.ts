/**
 * `segments-sha256.json`: the SHA-256 of every segment of a stream, keyed by its path relative to
 * the manifest's folder (`240p/seg_000.ts`, or `240p/1234.ts` for live), as lowercase hex. The
 * origin writes it next to each stream's playlists; the player checks what peers send against it.
 */

export const INTEGRITY_MANIFEST = 'segments-sha256.json';

export type IntegrityManifest = Record<string, string>;

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * The segment hashes of a manifest as a player reads it: undefined when `body` is not a JSON
 * object; entries whose value is not a SHA-256 in hex are skipped; digests are lowercased.
 */
export function readIntegrityManifest(body: unknown): Map<string, string> | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const hashes = new Map<string, string>();
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string' && SHA256_HEX.test(value)) hashes.set(key, value.toLowerCase());
  }
  return hashes;
}
