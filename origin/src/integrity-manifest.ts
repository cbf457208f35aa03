/**
 * The integrity manifest (`@swarmcast/protocol/integrity`) of a stream's segments. The origin
 * serves it for each VOD stream; `integrity-cli.ts` writes the same file for a folder served elsewhere.
 */
import { join } from 'node:path';
import type { IntegrityManifest } from '@swarmcast/protocol/integrity';
import { fileKindOf } from './content-type.ts';
import { listFiles, sha256OfFile, type MediaFile } from './media-catalog.ts';

/** The manifest of indexed files: segments only, in path order (the same folder always gives the same bytes). */
export function integrityManifest(files: Iterable<Pick<MediaFile, 'relPath' | 'kind' | 'sha256'>>): IntegrityManifest {
  const segments = [...files].filter((file) => file.kind === 'segment').map((file) => [file.relPath, file.sha256] as const);
  // Paths are unique within a folder: no tie to break.
  return Object.fromEntries(segments.sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The manifest of a folder on disk, as the origin would serve it were the folder one of its streams. */
export async function folderIntegrityManifest(dir: string): Promise<IntegrityManifest> {
  const files = [];
  // One file at a time: a movie's folder can hold thousands of segments.
  for (const relPath of await listFiles(dir)) {
    const kind = fileKindOf(relPath);
    if (kind === 'segment') files.push({ relPath, kind, sha256: await sha256OfFile(join(dir, relPath)) });
  }
  return integrityManifest(files);
}
