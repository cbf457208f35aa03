import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser, type ParsedManifest } from 'm3u8-parser';
import { buildOrigin } from '../src/app.ts';
import type { OriginOptions } from '../src/config.ts';

export const SAMPLE_MEDIA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../media');
export const SAMPLE_DIR = join(SAMPLE_MEDIA_DIR, 'sample');
export const RENDITIONS = ['240p', '360p', '720p'];
/** The committed sample: 15 segments of exactly 2 s per rendition. */
export const SAMPLE_SEGMENTS = 15;
export const SEGMENT_MS = 2000;

/** A controllable clock for the live window. */
export class ManualClock {
  constructor(public nowMs: number) {}
  readonly now = (): number => this.nowMs;
}

/** The live window the tests reason about, fixed so they do not follow the default. */
export const TEST_WINDOW_SEGMENTS = 6;

export function testOrigin(options: Partial<OriginOptions> = {}) {
  return buildOrigin({
    logger: false,
    mediaDir: SAMPLE_MEDIA_DIR,
    demoPage: '/nonexistent/demo.html',
    sdkBundle: '/nonexistent/sdk.js',
    liveWindowSegments: TEST_WINDOW_SEGMENTS,
    // Test clocks count from 0; the default epoch's own test sets it back.
    liveEpochMs: 0,
    ...options,
  });
}

export function parsePlaylist(text: string): ParsedManifest {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

/** A throwaway media folder: `files` maps paths relative to it to their contents. */
export async function tempMediaDir(files: Record<string, string | Buffer>): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmcast-origin-'));
  for (const [relPath, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, relPath)), { recursive: true });
    await writeFile(join(dir, relPath), content);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Files of a stream `clip` with one rendition `lo` whose one segment is `lo/seg.ts`. */
export function clipStream(segment: Buffer, extraFiles: Record<string, string | Buffer> = {}): Record<string, string | Buffer> {
  const files: Record<string, string | Buffer> = {
    'master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000,RESOLUTION=2x2,CODECS="avc1.4d401e"\nlo/index.m3u8\n',
    'lo/index.m3u8': '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg.ts\n#EXT-X-ENDLIST\n',
    'lo/seg.ts': segment,
    ...extraFiles,
  };
  return Object.fromEntries(Object.entries(files).map(([path, content]) => [`clip/${path}`, content]));
}
