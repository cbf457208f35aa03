import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultOriginOptions } from '../src/config.ts';
import { ManualClock, parsePlaylist, RENDITIONS, SAMPLE_DIR, SAMPLE_SEGMENTS, SEGMENT_MS, testOrigin } from './fixture.ts';

const LOOP_MS = SAMPLE_SEGMENTS * SEGMENT_MS;
const clock = new ManualClock(0);
const origin = testOrigin({ now: clock.now });
after(() => origin.close());

async function livePlaylist(rendition = '240p') {
  const response = await origin.inject(`/live/sample/${rendition}/index.m3u8`);
  assert.equal(response.statusCode, 200, response.body);
  return { response, playlist: parsePlaylist(response.body) };
}

describe('live media playlist', () => {
  test('lists the last 6 complete segments, numbered from the epoch', async () => {
    clock.nowMs = 1_000_000 * SEGMENT_MS + 500; // segment 999999 completed 500 ms ago
    const { response, playlist } = await livePlaylist();
    assert.equal(response.headers['content-type'], 'application/vnd.apple.mpegurl');
    assert.equal(response.headers['cache-control'], 'public, max-age=1');
    assert.equal(playlist.endList, undefined);
    assert.equal(playlist.targetDuration, 2);
    assert.equal(playlist.mediaSequence, 999_994);
    assert.deepEqual(
      playlist.segments.map((segment) => segment.uri),
      [999_994, 999_995, 999_996, 999_997, 999_998, 999_999].map((sequence) => `${sequence}.ts`),
    );
    assert.ok(playlist.segments.every((segment) => segment.duration === 2));
  });

  test('advances exactly at segment boundaries', async () => {
    clock.nowMs = 500 * SEGMENT_MS - 1;
    assert.equal((await livePlaylist()).playlist.segments.at(-1)!.uri, '498.ts');
    clock.nowMs = 500 * SEGMENT_MS;
    assert.equal((await livePlaylist()).playlist.segments.at(-1)!.uri, '499.ts');
  });

  test('carries the program date time of every segment', async () => {
    clock.nowMs = Date.parse('2030-01-01T00:00:07.000Z');
    const { playlist } = await livePlaylist();
    const last = playlist.segments.at(-1)!;
    assert.equal(last.dateTimeString, '2030-01-01T00:00:04.000Z');
    for (const segment of playlist.segments) {
      const sequence = Number(segment.uri.replace('.ts', ''));
      assert.equal(Date.parse(segment.dateTimeString!), sequence * SEGMENT_MS);
    }
  });

  test('marks the loop wrap with a discontinuity and keeps the discontinuity sequence consistent', async () => {
    const loops = 1234;
    const seenTimeline = new Map<number, number>();
    // Slide the window one segment at a time across a wrap: every segment must keep the same
    // discontinuity number (m3u8-parser's `timeline`) in every playlist that lists it.
    for (let edge = loops * SAMPLE_SEGMENTS - 3; edge <= loops * SAMPLE_SEGMENTS + 8; edge++) {
      clock.nowMs = (edge + 1) * SEGMENT_MS;
      const { playlist } = await livePlaylist('720p');
      assert.equal(playlist.segments.at(-1)!.uri, `${edge}.ts`);
      assert.equal(playlist.discontinuitySequence, Math.floor(playlist.mediaSequence! / SAMPLE_SEGMENTS));
      playlist.segments.forEach((segment, position) => {
        const sequence = Number(segment.uri.replace('.ts', ''));
        const wraps = sequence % SAMPLE_SEGMENTS === 0 && position > 0;
        assert.equal(Boolean(segment.discontinuity), wraps, `discontinuity before ${sequence}`);
        assert.equal(segment.timeline, Math.floor(sequence / SAMPLE_SEGMENTS));
        const known = seenTimeline.get(sequence);
        if (known !== undefined) assert.equal(segment.timeline, known);
        seenTimeline.set(sequence, segment.timeline);
      });
    }
  });

  test('every rendition shows the same edge', async () => {
    clock.nowMs = 77 * LOOP_MS + 5 * SEGMENT_MS + 300;
    const edges = new Set<number | undefined>();
    for (const rendition of RENDITIONS) edges.add((await livePlaylist(rendition)).playlist.mediaSequence);
    assert.equal(edges.size, 1);
  });

  test('two origin instances at the same instant serve identical playlists', async () => {
    clock.nowMs = 31 * LOOP_MS + 11 * SEGMENT_MS + 1999;
    const other = testOrigin({ now: () => clock.nowMs });
    try {
      for (const rendition of RENDITIONS) {
        const [a, b] = await Promise.all([origin.inject(`/live/sample/${rendition}/index.m3u8`), other.inject(`/live/sample/${rendition}/index.m3u8`)]);
        assert.equal(a.body, b.body);
        assert.equal(a.headers.etag, b.headers.etag);
      }
    } finally {
      await other.close();
    }
  });

  test('a configured epoch shifts sequence 0; before the first segment completes the playlist is 503', async () => {
    const epochMs = Date.parse('2031-05-01T12:00:00Z');
    const shifted = testOrigin({ now: clock.now, liveEpochMs: epochMs, liveWindowSegments: 8 });
    try {
      clock.nowMs = epochMs + 1500;
      const early = await shifted.inject('/live/sample/240p/index.m3u8');
      assert.equal(early.statusCode, 503);
      assert.equal(early.headers['retry-after'], '1');

      clock.nowMs = epochMs + 3 * SEGMENT_MS;
      let playlist = parsePlaylist((await shifted.inject('/live/sample/240p/index.m3u8')).body);
      assert.equal(playlist.mediaSequence, 0);
      assert.deepEqual(playlist.segments.map((segment) => segment.uri), ['0.ts', '1.ts', '2.ts']);
      assert.equal(playlist.segments[0]!.dateTimeString, '2031-05-01T12:00:00.000Z');

      clock.nowMs = epochMs + 100 * SEGMENT_MS;
      playlist = parsePlaylist((await shifted.inject('/live/sample/240p/index.m3u8')).body);
      assert.equal(playlist.segments.length, 8);
      assert.equal(playlist.mediaSequence, 92);
    } finally {
      await shifted.close();
    }
  });

  test('by default the stream started on 2026-01-01, so its discontinuity sequence stays small (hls.js walks it on every playlist load)', async () => {
    const defaultEpoch = testOrigin({ now: clock.now, liveEpochMs: defaultOriginOptions.liveEpochMs, liveWindowSegments: 8 });
    try {
      clock.nowMs = Date.parse('2027-01-01T00:00:00Z');
      const playlist = parsePlaylist((await defaultEpoch.inject('/live/sample/240p/index.m3u8')).body);
      const sequences = (clock.nowMs - Date.parse('2026-01-01T00:00:00Z')) / SEGMENT_MS;
      assert.equal(playlist.mediaSequence, sequences - 8);
      assert.equal(playlist.discontinuitySequence, Math.floor((sequences - 8) / SAMPLE_SEGMENTS));
      assert.ok(playlist.discontinuitySequence! < 1_100_000, `discontinuity sequence ${playlist.discontinuitySequence}`);
    } finally {
      await defaultEpoch.close();
    }
  });

  test('unknown rendition or stream is 404', async () => {
    assert.equal((await origin.inject('/live/sample/1080p/index.m3u8')).statusCode, 404);
    assert.equal((await origin.inject('/live/nope/240p/index.m3u8')).statusCode, 404);
    assert.equal((await origin.inject('/live/nope/master.m3u8')).statusCode, 404);
  });
});

describe('live master playlist', () => {
  test('lists the same renditions with bandwidth, resolution and codecs', async () => {
    const response = await origin.inject('/live/sample/master.m3u8');
    assert.equal(response.statusCode, 200);
    const variants = parsePlaylist(response.body).playlists!;
    assert.deepEqual(variants.map((variant) => variant.uri), RENDITIONS.map((rendition) => `${rendition}/index.m3u8`));
    for (const variant of variants) {
      assert.ok(variant.attributes.BANDWIDTH! > 0);
      assert.ok(variant.attributes.RESOLUTION!.height > 0);
      assert.match(variant.attributes.CODECS!, /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    }
  });
});

describe('live segments', () => {
  test('a live URL serves the looped VOD segment it stands for', async () => {
    const sequence = 4242 * SAMPLE_SEGMENTS + 7;
    clock.nowMs = (sequence + 3) * SEGMENT_MS;
    for (const rendition of RENDITIONS) {
      const response = await origin.inject(`/live/sample/${rendition}/${sequence}.ts`);
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'video/mp2t');
      assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.deepEqual(response.rawPayload, await readFile(join(SAMPLE_DIR, rendition, 'seg_007.ts')));
    }
  });

  test('every segment a playlist lists is servable', async () => {
    clock.nowMs = 987_654 * SEGMENT_MS + 1;
    const { playlist } = await livePlaylist('360p');
    for (const segment of playlist.segments) {
      assert.equal((await origin.inject(`/live/sample/360p/${segment.uri}`)).statusCode, 200, segment.uri);
    }
  });

  test('sequences beyond the edge, far behind it, or malformed are 404', async () => {
    const edge = 50_000;
    clock.nowMs = (edge + 1) * SEGMENT_MS;
    const status = async (name: string) => (await origin.inject(`/live/sample/240p/${name}`)).statusCode;
    assert.equal(await status(`${edge}.ts`), 200);
    assert.equal(await status(`${edge + 1}.ts`), 404);
    assert.equal(await status(`${edge - 17}.ts`), 200); // three 6-segment windows are kept
    assert.equal(await status(`${edge - 18}.ts`), 404);
    assert.equal(await status(`${edge}.m4s`), 404);
    assert.equal(await status(`0${edge}.ts`), 404);
    assert.equal(await status(`-1.ts`), 404);
    assert.equal(await status(`${edge}`), 404);
    assert.equal(await status('seg_000.ts'), 404);
    const notYet = await origin.inject(`/live/sample/240p/${edge + 1}.ts`);
    assert.equal(notYet.headers['cache-control'], 'no-store');
  });
});
