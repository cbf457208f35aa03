/**
 * `npm run integrity -w origin -- <folder>` (src/integrity-cli.ts), run as a process on a throwaway
 * HLS folder: what it writes must be byte for byte what the origin serves for the same files.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { clipStream, tempMediaDir, testOrigin } from './fixture.ts';

const CLI = fileURLToPath(new URL('../src/integrity-cli.ts', import.meta.url));
// Resolved here: the CLI runs in folders outside the repository, where `--import tsx` would not resolve.
const TSX = import.meta.resolve('tsx');

async function runCli(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // Without npm's INIT_CWD, as when the CLI is run directly: relative paths are from `cwd`.
    const { INIT_CWD: _, ...env } = process.env;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('integrity CLI', () => {
  let media: Awaited<ReturnType<typeof tempMediaDir>>;
  before(async () => {
    // Two renditions, fMP4 and TS segments, a nested folder, and files that are not segments.
    media = await tempMediaDir({
      ...clipStream(randomBytes(50_000), {
        'hi/index.m3u8': '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2.0,\npart/1.m4s\n#EXT-X-ENDLIST\n',
        'hi/init.mp4': randomBytes(700),
        'hi/part/1.m4s': randomBytes(30_000),
        'hi/part/2.m4s': randomBytes(30_000),
        'lo/seg2.ts': randomBytes(10),
        'subtitles.vtt': 'WEBVTT\n',
        '.hidden.ts': 'not indexed',
      }),
      'empty/master.m3u8': '#EXTM3U\n',
    });
  });
  after(() => media.cleanup());

  test('writes segments-sha256.json in the folder, identical to what the origin serves for it', async () => {
    const folder = join(media.dir, 'clip');
    const { code, stderr } = await runCli([folder]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /5 segments/);
    const written = await readFile(join(folder, 'segments-sha256.json'), 'utf8');

    const origin = testOrigin({ mediaDir: media.dir });
    try {
      const served = await origin.inject('/vod/clip/segments-sha256.json');
      assert.equal(served.statusCode, 200);
      assert.equal(written, served.body);
      assert.deepEqual(Object.keys(JSON.parse(written)), ['hi/init.mp4', 'hi/part/1.m4s', 'hi/part/2.m4s', 'lo/seg.ts', 'lo/seg2.ts']);
    } finally {
      await origin.close();
    }
    // Run again with the manifest already there: it is not a segment, the output does not change.
    assert.equal((await runCli([folder])).code, 0);
    assert.equal(await readFile(join(folder, 'segments-sha256.json'), 'utf8'), written);
  });

  test('--out - prints it; a relative folder and --out are taken from the working directory', async () => {
    const printed = await runCli(['clip', '--out', '-'], media.dir);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stdout, await readFile(join(media.dir, 'clip', 'segments-sha256.json'), 'utf8'));
    assert.equal((await runCli(['clip', '--out', 'elsewhere.json'], media.dir)).code, 0);
    assert.equal(await readFile(join(media.dir, 'elsewhere.json'), 'utf8'), printed.stdout);
  });

  test('a folder without segments, a missing folder and bad arguments exit 2 with the reason and the usage', async () => {
    for (const [args, reason] of [
      [[join(media.dir, 'empty')], /no segment files/],
      [[join(media.dir, 'missing')], /cannot read .*missing/],
      [[], /exactly one folder/],
      [['a', 'b'], /exactly one folder/],
      [['clip', '--unknown'], /Unknown option/],
    ] as const) {
      const { code, stderr } = await runCli([...args]);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, reason);
      assert.match(stderr, /usage:/);
    }
  });
});
