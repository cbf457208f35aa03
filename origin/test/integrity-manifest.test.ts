import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ManualClock, parsePlaylist, RENDITIONS, SAMPLE_DIR, SEGMENT_MS, testOrigin } from './fixture.ts';

const clock = new ManualClock(123_456 * SEGMENT_MS + 700);
const origin = testOrigin({ now: clock.now });
after(() => origin.close());

const sha256 = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('integrity manifest', () => {
  test('VOD: every segment file of the stream, by its path under the stream, with its SHA-256', async () => {
    const expected: Record<string, string> = {};
    for (const rendition of RENDITIONS) {
      for (const name of (await readdir(join(SAMPLE_DIR, rendition))).filter((file) => file.endsWith('.ts'))) {
        expected[`${rendition}/${name}`] = sha256(await readFile(join(SAMPLE_DIR, rendition, name)));
      }
    }
    const response = await origin.inject('/vod/sample/segments-sha256.json');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), expected);
  });

  test('live: the URLs of the current window (and the next) map to the hash of the bytes they serve', async () => {
    const manifest: Record<string, string> = (await origin.inject('/live/sample/segments-sha256.json')).json();
    for (const rendition of RENDITIONS) {
      const playlist = parsePlaylist((await origin.inject(`/live/sample/${rendition}/index.m3u8`)).body);
      for (const { uri } of playlist.segments) {
        const response = await origin.inject(`/live/sample/${rendition}/${uri}`);
        assert.equal(manifest[`${rendition}/${uri}`], sha256(response.rawPayload), `${rendition}/${uri}`);
      }
      // A peer holding this manifest can still verify the next window's segments.
      const edge = Number(playlist.segments.at(-1)!.uri.replace('.ts', ''));
      const ahead = `${rendition}/${edge + 6}.ts`;
      assert.ok(manifest[ahead], ahead);
      clock.nowMs += 6 * SEGMENT_MS;
      const later = await origin.inject(`/live/sample/${ahead}`);
      clock.nowMs -= 6 * SEGMENT_MS;
      assert.equal(manifest[ahead], sha256(later.rawPayload));
      assert.equal(manifest[`${rendition}/${edge + 7}.ts`], undefined);
    }
  });
});
