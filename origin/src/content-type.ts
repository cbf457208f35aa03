import { extname } from 'node:path';
import type { FileKind } from '@swarmcast/protocol/stats';

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.vtt': 'text/vtt; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

const SEGMENT_EXTENSIONS = new Set(['.ts', '.m4s', '.mp4', '.m4a', '.aac']);

/** What a file is to the egress counters: offload is measured on `segment` bytes. */
export function fileKindOf(path: string): FileKind {
  const extension = extname(path).toLowerCase();
  if (SEGMENT_EXTENSIONS.has(extension)) return 'segment';
  if (extension === '.m3u8') return 'playlist';
  return 'other';
}
