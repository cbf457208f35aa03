import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { join, posix } from 'node:path';
import type { FileKind } from '@swarmcast/protocol/stats';
import { fileKindOf } from './content-type.ts';
import { parseMasterVariants, parseMediaPlaylist } from './hls-playlist.ts';

export interface MediaFile {
  /** Path relative to the stream folder, `/`-separated: the URL path under `/vod/<name>/`. */
  relPath: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  kind: FileKind;
  /** The file's bytes when held in memory (see `MEMORY_FILE_MAX_BYTES`), else null: streamed from disk. */
  bytes: Buffer | null;
  /** Rendition folder the file sits in, `-` for stream-level files such as the master playlist. */
  rendition: string;
}

export interface LiveRendition {
  name: string;
  targetDuration: number;
  segments: { file: MediaFile; durationMs: number }[];
}

export interface MediaStream {
  name: string;
  files: Map<string, MediaFile>;
  /** Renditions the live loop plays, keyed by the name used in `/live/<name>/<rendition>/…`. */
  liveRenditions: Map<string, LiveRendition>;
  /** The master playlist rewritten to point at `<rendition>/index.m3u8`; null if not loopable. */
  liveMaster: string | null;
  liveUnavailableReason: string | null;
}

const MASTER_PLAYLIST = 'master.m3u8';

/**
 * Files up to this size are served from memory: playlists and segments are small and hot, and a
 * memory copy halves the cost of a small response (no open/read/close on the thread pool).
 * Both are read at start anyway to hash them. Larger files, or past the budget, stream from disk.
 */
export const MEMORY_FILE_MAX_BYTES = 2 * 1024 * 1024;
export const MEMORY_BUDGET_BYTES = 512 * 1024 * 1024;
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Indexes every stream folder once. Requests are answered by looking paths up in this index, so
 * nothing outside a stream folder (no `..`, no symlink target) can ever be served.
 */
export async function loadCatalog(mediaDir: string): Promise<Map<string, MediaStream>> {
  const streams = new Map<string, MediaStream>();
  const memoryBudget = { remainingBytes: MEMORY_BUDGET_BYTES };
  for (const entry of await readdir(mediaDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !SAFE_NAME.test(entry.name)) continue;
    const stream = await loadStream(entry.name, join(mediaDir, entry.name), memoryBudget);
    if (stream) streams.set(stream.name, stream);
  }
  return streams;
}

async function loadStream(name: string, dir: string, memoryBudget: MemoryBudget): Promise<MediaStream | null> {
  const relPaths = await listFiles(dir);
  if (!relPaths.includes(MASTER_PLAYLIST)) return null;

  const masterText = await readFile(join(dir, MASTER_PLAYLIST), 'utf8');
  const variantUris = parseMasterVariants(masterText);
  const renditionOfDir = new Map(
    variantUris.filter((uri) => posix.dirname(uri) !== '.').map((uri) => [posix.dirname(uri), renditionName(uri)]),
  );

  const files = new Map<string, MediaFile>();
  await Promise.all(
    relPaths.map(async (relPath) => {
      const absPath = join(dir, relPath);
      files.set(relPath, {
        relPath,
        absPath,
        ...(await readFileFacts(absPath, memoryBudget)),
        kind: fileKindOf(relPath),
        rendition: renditionOfDir.get(posix.dirname(relPath)) ?? '-',
      });
    }),
  );

  const stream: MediaStream = { name, files, liveRenditions: new Map(), liveMaster: null, liveUnavailableReason: null };
  try {
    for (const uri of variantUris) {
      const rendition = await loadLiveRendition(dir, uri, files);
      stream.liveRenditions.set(rendition.name, rendition);
    }
    if (stream.liveRenditions.size === 0) throw new Error('the master playlist lists no variants');
    stream.liveMaster = rewriteVariantUris(masterText, (uri) => `${renditionName(uri)}/index.m3u8`);
  } catch (error) {
    stream.liveRenditions.clear();
    stream.liveUnavailableReason = (error as Error).message;
  }
  return stream;
}

interface MemoryBudget {
  remainingBytes: number;
}

async function readFileFacts(absPath: string, budget: MemoryBudget): Promise<Pick<MediaFile, 'size' | 'mtimeMs' | 'sha256' | 'bytes'>> {
  const { size, mtimeMs } = await stat(absPath);
  if (size <= MEMORY_FILE_MAX_BYTES && size <= budget.remainingBytes) {
    budget.remainingBytes -= size;
    const bytes = await readFile(absPath);
    return { size: bytes.length, mtimeMs, sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
  }
  return { size, mtimeMs, sha256: await sha256OfFile(absPath), bytes: null };
}

/** Lowercase hex SHA-256 of a file, streamed (any size). */
export async function sha256OfFile(absPath: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(absPath), hash);
  return hash.digest('hex');
}

/** `240p/index.m3u8` → `240p`; a playlist at the stream root is named after its file. */
function renditionName(variantUri: string): string {
  const dir = posix.dirname(variantUri);
  return dir === '.' ? posix.basename(variantUri, '.m3u8') : dir.replaceAll('/', '_');
}

async function loadLiveRendition(dir: string, variantUri: string, files: Map<string, MediaFile>): Promise<LiveRendition> {
  const name = renditionName(variantUri);
  const playlistPath = posix.normalize(variantUri);
  if (!SAFE_NAME.test(name) || !files.has(playlistPath)) throw new Error(`variant ${variantUri} is not a playlist inside the stream folder`);
  const playlist = await readFile(join(dir, playlistPath), 'utf8').then((text) => parseMediaPlaylist(text)).catch((error: Error) => {
    throw new Error(`${playlistPath}: ${error.message}`);
  });
  const segments = playlist.segments.map(({ uri, durationMs }) => {
    const file = files.get(posix.normalize(posix.join(posix.dirname(playlistPath), uri)));
    if (!file) throw new Error(`${playlistPath}: segment ${uri} is not a file inside the stream folder`);
    return { file, durationMs };
  });
  return { name, targetDuration: playlist.targetDuration, segments };
}

function rewriteVariantUris(masterText: string, rewrite: (uri: string) => string): string {
  let expectUri = false;
  return masterText
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (trimmed.startsWith('#EXT-X-STREAM-INF:')) expectUri = true;
      else if (expectUri && trimmed !== '' && !trimmed.startsWith('#')) {
        expectUri = false;
        return rewrite(trimmed);
      }
      return line;
    })
    .join('\n');
}

/** Paths of the files under `dir`, `/`-separated. Regular files only: symlinks and dot-files are never indexed. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const relPaths: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const relPath = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) relPaths.push(...(await listFiles(join(dir, entry.name), relPath)));
    else if (entry.isFile()) relPaths.push(relPath);
  }
  return relPaths;
}
