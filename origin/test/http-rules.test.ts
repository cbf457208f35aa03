import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { clipStream, SAMPLE_DIR, tempMediaDir, testOrigin } from './fixture.ts';

const origin = testOrigin();
after(() => origin.close());

const SEGMENT_URL = '/vod/sample/360p/seg_004.ts';
const segmentBytes = await readFile(join(SAMPLE_DIR, '360p/seg_004.ts'));
const size = segmentBytes.length;

function get(url: string, headers: Record<string, string> = {}) {
  return origin.inject({ method: 'GET', url, headers });
}

describe('content types and cache control', () => {
  test('playlists, segments and manifests carry their types and cache lifetimes', async () => {
    const cases = [
      ['/vod/sample/master.m3u8', 'application/vnd.apple.mpegurl', 'public, max-age=60'],
      ['/vod/sample/240p/index.m3u8', 'application/vnd.apple.mpegurl', 'public, max-age=60'],
      [SEGMENT_URL, 'video/mp2t', 'public, max-age=31536000, immutable'],
      ['/vod/sample/segments-sha256.json', 'application/json; charset=utf-8', 'public, max-age=60'],
      ['/live/sample/master.m3u8', 'application/vnd.apple.mpegurl', 'public, max-age=1'],
      ['/live/sample/segments-sha256.json', 'application/json; charset=utf-8', 'public, max-age=1'],
    ];
    for (const [url, type, cacheControl] of cases) {
      const response = await get(url!);
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.headers['content-type'], type, url);
      assert.equal(response.headers['cache-control'], cacheControl, url);
      assert.equal(response.headers['accept-ranges'], 'bytes', url);
    }
  });

  test('other media files get their type from the extension', async () => {
    const media = await tempMediaDir(clipStream(Buffer.from('ts'), { 'lo/init.mp4': 'x', 'lo/part.m4s': 'x', 'lo/audio.aac': 'x', 'lo/notes.bin': 'x' }));
    const app = testOrigin({ mediaDir: media.dir });
    try {
      const expected = { 'lo/seg.ts': 'video/mp2t', 'lo/init.mp4': 'video/mp4', 'lo/part.m4s': 'video/iso.segment', 'lo/audio.aac': 'audio/aac', 'lo/notes.bin': 'application/octet-stream' };
      for (const [path, type] of Object.entries(expected)) {
        assert.equal((await app.inject(`/vod/clip/${path}`)).headers['content-type'], type, path);
      }
    } finally {
      await app.close();
      await media.cleanup();
    }
  });
});

describe('full responses and HEAD', () => {
  test('GET returns the exact file with its length', async () => {
    const response = await get(SEGMENT_URL);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-length'], String(size));
    assert.deepEqual(response.rawPayload, segmentBytes);
  });

  test('HEAD returns the same headers and no body', async () => {
    const [full, head] = await Promise.all([get(SEGMENT_URL), origin.inject({ method: 'HEAD', url: SEGMENT_URL })]);
    assert.equal(head.statusCode, 200);
    assert.equal(head.rawPayload.length, 0);
    for (const name of ['content-length', 'content-type', 'etag', 'last-modified', 'cache-control', 'accept-ranges']) {
      assert.equal(head.headers[name], full.headers[name], name);
    }
  });
});

describe('byte ranges', () => {
  test('a closed range is 206 with exactly those bytes', async () => {
    const response = await get(SEGMENT_URL, { range: 'bytes=100-1099' });
    assert.equal(response.statusCode, 206);
    assert.equal(response.headers['content-range'], `bytes 100-1099/${size}`);
    assert.equal(response.headers['content-length'], '1000');
    assert.deepEqual(response.rawPayload, segmentBytes.subarray(100, 1100));
  });

  test('open-ended, suffix and past-the-end ranges', async () => {
    let response = await get(SEGMENT_URL, { range: `bytes=${size - 10}-` });
    assert.equal(response.statusCode, 206);
    assert.deepEqual(response.rawPayload, segmentBytes.subarray(size - 10));

    response = await get(SEGMENT_URL, { range: 'bytes=-188' });
    assert.equal(response.headers['content-range'], `bytes ${size - 188}-${size - 1}/${size}`);
    assert.deepEqual(response.rawPayload, segmentBytes.subarray(size - 188));

    response = await get(SEGMENT_URL, { range: `bytes=${size - 5}-${size + 1000}` });
    assert.equal(response.headers['content-range'], `bytes ${size - 5}-${size - 1}/${size}`);
    assert.equal(response.rawPayload.length, 5);

    response = await get(SEGMENT_URL, { range: 'bytes=-999999999' });
    assert.equal(response.statusCode, 206);
    assert.deepEqual(response.rawPayload, segmentBytes);

    response = await get(SEGMENT_URL, { range: 'bytes=0-0' });
    assert.deepEqual(response.rawPayload, segmentBytes.subarray(0, 1));
  });

  test('unsatisfiable ranges are 416 with the size', async () => {
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=-0']) {
      const response = await get(SEGMENT_URL, { range });
      assert.equal(response.statusCode, 416, range);
      assert.equal(response.headers['content-range'], `bytes */${size}`);
      assert.equal(response.rawPayload.length, 0);
    }
  });

  test('multiple ranges and malformed headers get the full body (200)', async () => {
    for (const range of ['bytes=0-10,20-30', 'bytes=10-5', 'items=0-10', 'bytes=abc', 'bytes=-']) {
      const response = await get(SEGMENT_URL, { range });
      assert.equal(response.statusCode, 200, range);
      assert.equal(response.rawPayload.length, size);
    }
  });

  test('ranges apply to generated playlists too', async () => {
    const full = await get('/vod/sample/segments-sha256.json');
    const part = await get('/vod/sample/segments-sha256.json', { range: 'bytes=0-9' });
    assert.equal(part.statusCode, 206);
    assert.equal(part.body, full.body.slice(0, 10));
  });

  test('If-Range with the current ETag honours the range, with a stale one sends everything', async () => {
    const { etag } = (await get(SEGMENT_URL)).headers;
    assert.equal((await get(SEGMENT_URL, { range: 'bytes=0-9', 'if-range': String(etag) })).statusCode, 206);
    const stale = await get(SEGMENT_URL, { range: 'bytes=0-9', 'if-range': '"stale"' });
    assert.equal(stale.statusCode, 200);
    assert.equal(stale.rawPayload.length, size);
  });
});

describe('conditional requests', () => {
  test('If-None-Match with the ETag is 304 without a body; another tag is 200', async () => {
    const first = await get(SEGMENT_URL);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    for (const ifNoneMatch of [etag, `"other", ${etag}`, `W/${etag}`, '*']) {
      const response = await get(SEGMENT_URL, { 'if-none-match': ifNoneMatch });
      assert.equal(response.statusCode, 304, ifNoneMatch);
      assert.equal(response.rawPayload.length, 0);
      assert.equal(response.headers.etag, etag);
      assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
    }
    assert.equal((await get(SEGMENT_URL, { 'if-none-match': '"other"' })).statusCode, 200);
  });

  test('If-Modified-Since compares to the file time in whole seconds', async () => {
    const { mtime } = await stat(join(SAMPLE_DIR, '360p/seg_004.ts'));
    const response = await get(SEGMENT_URL);
    assert.equal(response.headers['last-modified'], mtime.toUTCString());
    assert.equal((await get(SEGMENT_URL, { 'if-modified-since': mtime.toUTCString() })).statusCode, 304);
    assert.equal((await get(SEGMENT_URL, { 'if-modified-since': new Date(mtime.getTime() - 2000).toUTCString() })).statusCode, 200);
    assert.equal((await get(SEGMENT_URL, { 'if-modified-since': 'not a date' })).statusCode, 200);
  });

  test('If-None-Match takes precedence over If-Modified-Since', async () => {
    const response = await get(SEGMENT_URL, { 'if-none-match': '"other"', 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() });
    assert.equal(response.statusCode, 200);
  });

  test('a live playlist revalidates to 304 until the edge moves', async () => {
    let nowMs = 10_000 * 2000 + 100;
    const live = testOrigin({ now: () => nowMs });
    try {
      const first = await live.inject('/live/sample/240p/index.m3u8');
      const etag = String(first.headers.etag);
      assert.equal(first.headers['last-modified'], new Date(10_000 * 2000).toUTCString());
      nowMs += 1000;
      assert.equal((await live.inject({ url: '/live/sample/240p/index.m3u8', headers: { 'if-none-match': etag } })).statusCode, 304);
      nowMs += 1000;
      assert.equal((await live.inject({ url: '/live/sample/240p/index.m3u8', headers: { 'if-none-match': etag } })).statusCode, 200);
    } finally {
      await live.close();
    }
  });
});

describe('CORS', () => {
  test('any origin by default, with the range headers exposed', async () => {
    const response = await get(SEGMENT_URL, { origin: 'https://viewer.example' });
    assert.equal(response.headers['access-control-allow-origin'], '*');
    assert.match(String(response.headers['access-control-expose-headers']), /Content-Range/);
  });

  test('preflight for a ranged GET is allowed', async () => {
    const response = await origin.inject({
      method: 'OPTIONS',
      url: SEGMENT_URL,
      headers: { origin: 'https://viewer.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
    });
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], '*');
    assert.match(String(response.headers['access-control-allow-headers']), /range/i);
    assert.match(String(response.headers['access-control-allow-methods']), /GET/);
  });

  test('a configured origin list allows only those origins', async () => {
    const restricted = testOrigin({ corsOrigins: ['https://a.example', 'https://b.example'] });
    try {
      const allowed = await restricted.inject({ url: SEGMENT_URL, headers: { origin: 'https://b.example' } });
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://b.example');
      assert.match(String(allowed.headers.vary), /Origin/i);
      const refused = await restricted.inject({ url: SEGMENT_URL, headers: { origin: 'https://evil.example' } });
      assert.equal(refused.headers['access-control-allow-origin'], undefined);
    } finally {
      await restricted.close();
    }
  });
});
