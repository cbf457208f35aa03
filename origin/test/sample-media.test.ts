import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parsePlaylist, RENDITIONS, SAMPLE_DIR, SAMPLE_SEGMENTS, testOrigin } from './fixture.ts';

const origin = testOrigin();
after(() => origin.close());

const MAX_SAMPLE_BYTES = 6 * 1024 * 1024;
const TS_SYNC_BYTE = 0x47;

describe('committed sample media', () => {
  test('the master playlist offers three renditions with bandwidth, resolution and H.264/AAC-LC codecs', async () => {
    const master = parsePlaylist((await origin.inject('/vod/sample/master.m3u8')).body);
    assert.deepEqual(master.playlists!.map((variant) => variant.uri), RENDITIONS.map((rendition) => `${rendition}/index.m3u8`));
    assert.deepEqual(master.playlists!.map((variant) => variant.attributes.RESOLUTION!.height), [240, 360, 720]);
    for (const { attributes } of master.playlists!) {
      assert.ok(attributes.BANDWIDTH! > 0 && attributes.BANDWIDTH! < 1_000_000);
      assert.match(attributes.CODECS!, /^avc1\.(42|4d)[0-9a-f]{4},mp4a\.40\.2$/);
    }
  });

  test('every rendition is a complete VOD playlist of 2 s MPEG-TS segments', async () => {
    for (const rendition of RENDITIONS) {
      const playlist = parsePlaylist((await origin.inject(`/vod/sample/${rendition}/index.m3u8`)).body);
      assert.equal(playlist.endList, true);
      assert.equal(playlist.playlistType, 'VOD');
      assert.equal(playlist.targetDuration, 2);
      assert.equal(playlist.segments.length, SAMPLE_SEGMENTS);
      for (const segment of playlist.segments) {
        assert.equal(segment.duration, 2);
        const bytes = await readFile(join(SAMPLE_DIR, rendition, segment.uri));
        assert.equal(bytes[0], TS_SYNC_BYTE, segment.uri);
        assert.equal(bytes.length % 188, 0, segment.uri);
      }
    }
  });

  test('stays small enough to commit', async () => {
    let total = 0;
    for (const rendition of RENDITIONS) {
      for (const name of await readdir(join(SAMPLE_DIR, rendition))) total += (await stat(join(SAMPLE_DIR, rendition, name))).size;
    }
    assert.ok(total <= MAX_SAMPLE_BYTES, `${total} bytes`);
  });
});
