import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import type { OriginStats } from '@swarmcast/protocol/stats';
import { clipStream, ManualClock, RENDITIONS, SAMPLE_DIR, SAMPLE_SEGMENTS, SEGMENT_MS, tempMediaDir, testOrigin } from './fixture.ts';

const clock = new ManualClock(1_000 * SEGMENT_MS);
const ADMIN_TOKEN = 'egress-test-admin-secret';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const origin = testOrigin({ now: clock.now, adminToken: ADMIN_TOKEN });
after(() => origin.close());
beforeEach(async () => {
  await origin.inject({ method: 'POST', url: '/stats/reset', headers: admin });
});

const sizeOf = async (relPath: string) => (await stat(join(SAMPLE_DIR, relPath))).size;

async function stats(app = origin): Promise<OriginStats> {
  return (await app.inject('/stats')).json();
}

/** The value of one Prometheus sample line, or undefined when absent. */
async function metric(name: string, labels: string, app = origin): Promise<number | undefined> {
  const text = (await app.inject('/metrics')).body;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('egress counters', () => {
  test('full, ranged, HEAD, 304 and 416 responses count exactly the body bytes sent', async () => {
    const url = '/vod/sample/360p/seg_002.ts';
    const size = await sizeOf('360p/seg_002.ts');
    const full = await origin.inject(url);
    await origin.inject({ url, headers: { range: 'bytes=100-1099' } });
    await origin.inject({ url, headers: { range: 'bytes=-188' } });
    await origin.inject({ method: 'HEAD', url });
    await origin.inject({ url, headers: { 'if-none-match': String(full.headers.etag) } });
    await origin.inject({ url, headers: { range: `bytes=${size}-` } });

    const { streams, total } = await stats();
    const expectedBytes = size + 1000 + 188;
    assert.deepEqual(streams['vod/sample']!.renditions['360p']!.kinds.segment, { requests: 6, bytes: expectedBytes, aborted: 0 });
    assert.deepEqual(streams['vod/sample']!.kinds.segment, { requests: 6, bytes: expectedBytes, aborted: 0 });
    assert.equal(total.bytes, expectedBytes);
    assert.equal(await metric('swarmcast_origin_bytes_total', 'stream="vod/sample",rendition="360p",kind="segment"'), expectedBytes);
    assert.equal(await metric('swarmcast_origin_requests_total', 'stream="vod/sample",rendition="360p",kind="segment"'), 6);
  });

  test('playlists and live segments are counted per stream, rendition and kind', async () => {
    const master = await origin.inject('/vod/sample/master.m3u8');
    const livePlaylist = await origin.inject('/live/sample/720p/index.m3u8');
    const liveSegment = await origin.inject(`/live/sample/720p/${1000 - 1}.ts`);
    assert.equal(liveSegment.statusCode, 200);
    const expectedSegmentSize = await sizeOf(`720p/seg_${String((1000 - 1) % SAMPLE_SEGMENTS).padStart(3, '0')}.ts`);

    const { streams } = await stats();
    assert.deepEqual(streams['vod/sample']!.renditions['-']!.kinds.playlist, { requests: 1, bytes: master.rawPayload.length, aborted: 0 });
    assert.deepEqual(streams['live/sample']!.renditions['720p']!.kinds.playlist, { requests: 1, bytes: livePlaylist.rawPayload.length, aborted: 0 });
    assert.deepEqual(streams['live/sample']!.renditions['720p']!.kinds.segment, { requests: 1, bytes: expectedSegmentSize, aborted: 0 });
    assert.equal(await metric('swarmcast_origin_bytes_total', 'stream="live/sample",rendition="720p",kind="segment"'), expectedSegmentSize);
  });

  test('whole renditions read over a real socket add up to the file sizes', async () => {
    const app = testOrigin();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    try {
      let expected = 0;
      let received = 0;
      for (const rendition of RENDITIONS) {
        for (const name of (await readdir(join(SAMPLE_DIR, rendition))).filter((file) => file.endsWith('.ts'))) {
          expected += await sizeOf(`${rendition}/${name}`);
          const response = await fetch(`http://127.0.0.1:${port}/vod/sample/${rendition}/${name}`);
          received += (await response.arrayBuffer()).byteLength;
        }
      }
      // Half of each 720p segment, by range, on top.
      for (const name of (await readdir(join(SAMPLE_DIR, '720p'))).filter((file) => file.endsWith('.ts'))) {
        const half = Math.floor((await sizeOf(`720p/${name}`)) / 2);
        expected += half;
        const response = await fetch(`http://127.0.0.1:${port}/vod/sample/720p/${name}`, { headers: { range: `bytes=0-${half - 1}` } });
        received += (await response.arrayBuffer()).byteLength;
      }
      assert.equal(received, expected);
      const { streams } = await stats(app);
      assert.equal(streams['vod/sample']!.kinds.segment!.bytes, expected);
      assert.equal(streams['vod/sample']!.kinds.segment!.requests, SAMPLE_SEGMENTS * (RENDITIONS.length + 1));
    } finally {
      await app.close();
    }
  });

  test('a download cut off by the client counts what was written, and one abort', async () => {
    const size = 64 * 1024 * 1024;
    const media = await tempMediaDir(clipStream(Buffer.alloc(size, 7)));
    const app = testOrigin({ mediaDir: media.dir });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    try {
      const received = await new Promise<number>((resolve, reject) => {
        httpGet(`http://127.0.0.1:${port}/vod/clip/lo/seg.ts`, (response) => {
          let bytes = 0;
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes >= 1024 * 1024) {
              response.destroy();
              resolve(bytes);
            }
          });
        }).on('error', reject);
      });
      let segment = (await stats(app)).streams['vod/clip']?.kinds.segment;
      for (let attempt = 0; attempt < 100 && segment?.aborted !== 1; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        segment = (await stats(app)).streams['vod/clip']?.kinds.segment;
      }
      assert.equal(segment!.aborted, 1);
      assert.equal(segment!.requests, 1);
      assert.ok(segment!.bytes < size, `counted ${segment!.bytes} of ${size}`);
      // What the client read had been written; at most the write in flight when the socket died
      // (one file chunk) is not counted although part of it may have left.
      assert.ok(segment!.bytes >= received - 64 * 1024, `counted ${segment!.bytes}, client read ${received}`);
    } finally {
      await app.close();
      await media.cleanup();
    }
  });

  test('POST /stats/reset and DELETE /stats with the admin secret zero the counters', async () => {
    await origin.inject('/vod/sample/240p/seg_000.ts');
    assert.ok((await stats()).total.bytes > 0);
    for (const request of [{ method: 'POST' as const, url: '/stats/reset', headers: admin }, { method: 'DELETE' as const, url: '/stats', headers: admin }]) {
      await origin.inject('/vod/sample/240p/seg_000.ts');
      const response = await origin.inject(request);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json().total, { requests: 0, bytes: 0, aborted: 0 });
      assert.deepEqual((await stats()).total, { requests: 0, bytes: 0, aborted: 0 });
      assert.equal(await metric('swarmcast_origin_bytes_total', 'stream="vod/sample",rendition="240p",kind="segment"'), undefined);
    }
  });

  test('two origins in one process keep separate counters and registries', async () => {
    const other = testOrigin();
    try {
      await other.inject('/vod/sample/240p/seg_001.ts');
      await origin.inject('/vod/sample/240p/seg_001.ts');
      await origin.inject('/vod/sample/240p/seg_001.ts');
      const size = await sizeOf('240p/seg_001.ts');
      assert.equal((await stats(other)).total.bytes, size);
      assert.equal((await stats()).total.bytes, 2 * size);
      assert.equal(await metric('swarmcast_origin_requests_total', 'stream="vod/sample",rendition="240p",kind="segment"', other), 1);
      assert.equal(await metric('swarmcast_origin_requests_total', 'stream="vod/sample",rendition="240p",kind="segment"'), 2);
    } finally {
      await other.close();
    }
  });

  test('404s are not counted against any stream', async () => {
    await origin.inject('/vod/sample/240p/missing.ts');
    await origin.inject(`/live/sample/240p/${10 ** 9}.ts`);
    assert.deepEqual((await stats()).total, { requests: 0, bytes: 0, aborted: 0 });
  });
});
