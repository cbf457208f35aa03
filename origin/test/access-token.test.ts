/** ORIGIN_AUTH=required: playlists and segments need the tracker's access token; status routes stay open. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mintToken } from '@swarmcast/protocol/access-token';
import { ConfigError, loadConfig } from '../src/config.ts';
import { testOrigin } from './fixture.ts';

const KEY = 'origin-test-key-0123456789';
const PREVIOUS = 'origin-previous-key-012345';

test('with token keys, /vod and /live answer 401 without a valid token and serve with one', async () => {
  const origin = testOrigin({ tokenKeys: [KEY, PREVIOUS] });
  const token = mintToken({ swarms: ['*'], ttlSec: 60 }, PREVIOUS);
  for (const url of ['/vod/sample/master.m3u8', '/vod/sample/240p/seg_000.ts', '/live/sample/master.m3u8', '/vod/sample/segments-sha256.json']) {
    const refused = await origin.inject(url);
    assert.equal(refused.statusCode, 401, url);
    assert.deepEqual(refused.json(), { error: 'an access token is required (?token=)' });
    assert.equal(refused.headers['cache-control'], 'no-store');
    assert.equal((await origin.inject(`${url}?token=${token}`)).statusCode, 200, url);
    assert.equal((await origin.inject({ url, headers: { authorization: `Bearer ${token}` } })).statusCode, 200, url);
  }
  const expired = mintToken({ swarms: ['*'], ttlSec: -1 }, KEY);
  assert.deepEqual((await origin.inject(`/vod/sample/master.m3u8?token=${expired}`)).json(), { error: 'access token expired' });
  const forged = mintToken({ swarms: ['*'], ttlSec: 60 }, 'someone-elses-key-0123456');
  assert.equal((await origin.inject(`/vod/sample/master.m3u8?token=${forged}`)).statusCode, 401);
  for (const open of ['/health', '/stats', '/metrics']) assert.equal((await origin.inject(open)).statusCode, 200, open);
  assert.equal((await origin.inject({ method: 'OPTIONS', url: '/vod/sample/master.m3u8', headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } })).statusCode, 204, 'CORS preflight needs no token');
  await origin.close();
});

test('without token keys the origin stays open', async () => {
  const origin = testOrigin();
  assert.equal((await origin.inject('/vod/sample/master.m3u8')).statusCode, 200);
  await origin.close();
});

test('ORIGIN_AUTH=required reads TRACKER_TOKEN_KEYS and fails fast without them', () => {
  assert.deepEqual(loadConfig({ ORIGIN_AUTH: 'required', TRACKER_TOKEN_KEYS: `${KEY},${PREVIOUS}` }).origin.tokenKeys, [KEY, PREVIOUS]);
  assert.equal(loadConfig({}).origin.tokenKeys, undefined);
  assert.throws(() => loadConfig({ ORIGIN_AUTH: 'required' }), (error: Error) => error instanceof ConfigError && /TRACKER_TOKEN_KEYS/.test(error.message));
  assert.throws(() => loadConfig({ ORIGIN_AUTH: 'yes' }), /ORIGIN_AUTH/);
});

// Attack: a shared cache (CDN, corporate proxy) in front of a private origin keeps a bearer's
// segment and playlist because they said `public`, then serves them to anyone without a token.
test('with token keys, stream responses are private to the viewer; without, public', async () => {
  const urls = ['/vod/sample/master.m3u8', '/vod/sample/240p/index.m3u8', '/vod/sample/240p/seg_000.ts', '/vod/sample/segments-sha256.json', '/live/sample/master.m3u8', '/live/sample/240p/index.m3u8', '/live/sample/segments-sha256.json'];
  const closed = testOrigin({ tokenKeys: [KEY] });
  const open = testOrigin();
  const authorization = `Bearer ${mintToken({ swarms: ['*'], ttlSec: 60 }, KEY)}`;
  for (const url of urls) {
    const privately = await closed.inject({ url, headers: { authorization } });
    assert.equal(privately.statusCode, 200, url);
    assert.match(String(privately.headers['cache-control']), /^private,/, url);
    assert.doesNotMatch(String(privately.headers['cache-control']), /public/, url);
    assert.match(String((await open.inject(url)).headers['cache-control']), /^public,/, url);
  }
  await Promise.all([closed.close(), open.close()]);
});
