// Attack: read the origin's request log and replay the access tokens in it. Every request with
// `?token=` — a playlist, a segment, an unknown route — is logged with the token redacted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mintToken } from '@swarmcast/protocol/access-token';
import { testOrigin } from './fixture.ts';

test('no log line and no 404 body carries a token from the URL', async (t) => {
  const lines: string[] = [];
  const key = 'origin-log-test-key-0123456789';
  const token = mintToken({ swarms: ['*'], ttlSec: 60 }, key);
  const origin = testOrigin({ tokenKeys: [key], logger: { level: 'debug', stream: { write: (line: string) => void lines.push(line) } } });
  t.after(() => origin.close());
  for (const url of ['/vod/sample/master.m3u8', '/vod/sample/240p/seg_000.ts', '/live/sample/master.m3u8', '/no/such/route']) {
    const response = await origin.inject(`${url}?quality=hd&token=${token}`);
    assert.doesNotMatch(response.body, new RegExp(token.slice(0, 24)), url);
  }
  assert.equal((await origin.inject(`/vod/sample/master.m3u8?token=forged-${token}`)).statusCode, 401);
  const logged = lines.join('\n');
  assert.ok(lines.length >= 5, 'requests were logged');
  assert.doesNotMatch(logged, new RegExp(token.slice(0, 24)));
  assert.match(logged, /token=\[redacted\]/);
  assert.match(logged, /quality=hd/, 'the rest of the URL stays');
});
