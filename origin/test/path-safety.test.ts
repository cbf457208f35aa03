import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { clipStream, tempMediaDir, testOrigin } from './fixture.ts';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-STREAM';
let media: Awaited<ReturnType<typeof tempMediaDir>>;
let origin: FastifyInstance;
let port: number;

before(async () => {
  media = await tempMediaDir({ ...clipStream(Buffer.from('segment bytes')), 'secret.txt': SECRET, 'other/secret.txt': SECRET });
  await symlink(join(media.dir, 'secret.txt'), join(media.dir, 'clip/lo/link.ts'));
  await symlink('/etc', join(media.dir, 'clip/escape'));
  origin = testOrigin({ mediaDir: media.dir });
  await origin.listen({ host: '127.0.0.1', port: 0 });
  port = (origin.server.address() as AddressInfo).port;
});
after(async () => {
  await origin.close();
  await media.cleanup();
});

/** Sends the request target byte for byte, as no HTTP client library would normalise it. */
function rawGet(target: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');
  });
}

const ATTEMPTS = [
  '/vod/../../etc/passwd',
  '/vod/clip/../secret.txt',
  '/vod/clip/../../etc/passwd',
  '/vod/clip/..%2fsecret.txt',
  '/vod/clip/%2e%2e%2fsecret.txt',
  '/vod/clip/%2E%2E%2Fsecret.txt',
  '/vod/clip/%252e%252e%252fsecret.txt',
  '/vod/clip/..%252fsecret.txt',
  '/vod/clip/..\\secret.txt',
  '/vod/clip/..%5csecret.txt',
  '/vod/clip/lo/..%2f..%2fsecret.txt',
  '/vod/%2e%2e/secret.txt',
  '/vod/clip/%2fetc%2fpasswd',
  '/vod/clip//etc/passwd',
  '/vod/clip/lo/seg.ts%00',
  '/vod/clip/lo/seg.ts%00.m3u8',
  '/vod/clip/lo%00/seg.ts',
  '/vod/clip/lo/link.ts',
  '/vod/clip/escape/passwd',
  '/vod/other/secret.txt',
  '/live/clip/..%2f..%2fsecret.txt/1.ts',
  '/live/..%2fclip/lo/0.ts',
  '/live/clip/lo/..%2f..%2f..%2fsecret.txt',
];

describe('path traversal', () => {
  test('the legitimate file is served', async () => {
    const response = await rawGet('/vod/clip/lo/seg.ts');
    assert.equal(response.status, 200);
    assert.ok(response.text.endsWith('segment bytes'));
  });

  for (const target of ATTEMPTS) {
    test(`${target} is refused over a raw socket`, async () => {
      const response = await rawGet(target);
      assert.ok([400, 404].includes(response.status), `status ${response.status}`);
      assert.ok(!response.text.includes(SECRET));
      assert.ok(!response.text.includes('root:'));
    });
  }

  test('the same attempts through inject are refused', async () => {
    for (const url of ATTEMPTS) {
      const response = await origin.inject(url);
      assert.ok([400, 404].includes(response.statusCode), `${url}: ${response.statusCode}`);
      assert.ok(!response.body.includes(SECRET), url);
    }
  });
});
