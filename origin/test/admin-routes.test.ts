// Attack: a web page (any origin) erasing the egress counters offload is measured from. A simple
// cross-origin POST needs no preflight, so CORS alone never stopped it being sent; the routes now
// need the admin secret (or do not exist), and CORS allows only what a player needs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { testOrigin } from './fixture.ts';

const EVIL = { origin: 'https://evil.example', 'content-type': 'text/plain' };

async function segmentBytes(origin: ReturnType<typeof testOrigin>): Promise<number> {
  return (await origin.inject('/stats')).json().total.bytes as number;
}

test('without ORIGIN_ADMIN_TOKEN no request can reset the counters', async (t) => {
  const origin = testOrigin();
  t.after(() => origin.close());
  await origin.inject('/vod/sample/240p/seg_000.ts');
  const before = await segmentBytes(origin);
  assert.ok(before > 0);
  for (const request of [{ method: 'POST' as const, url: '/stats/reset' }, { method: 'DELETE' as const, url: '/stats' }]) {
    const response = await origin.inject({ ...request, headers: EVIL, payload: 'x' });
    assert.equal(response.statusCode, 404, `${request.method} ${request.url}`);
  }
  assert.equal(await segmentBytes(origin), before, 'counters intact');
});

test('with ORIGIN_ADMIN_TOKEN only its bearer resets; a wrong or missing one gets 401 and changes nothing', async (t) => {
  const secret = 'a-long-admin-secret-for-tests';
  const origin = testOrigin({ adminToken: secret });
  t.after(() => origin.close());
  await origin.inject('/vod/sample/240p/seg_000.ts');
  const before = await segmentBytes(origin);
  for (const headers of [EVIL, { ...EVIL, authorization: 'Bearer wrong-secret-of-some-length' }, { ...EVIL, authorization: secret }]) {
    const response = await origin.inject({ method: 'POST', url: '/stats/reset', headers, payload: 'x' });
    assert.equal(response.statusCode, 401);
    assert.doesNotMatch(response.body, new RegExp(secret));
  }
  assert.equal(await segmentBytes(origin), before, 'counters intact');
  const reset = await origin.inject({ method: 'DELETE', url: '/stats', headers: { authorization: `Bearer ${secret}` } });
  assert.equal(reset.statusCode, 200);
  assert.equal(await segmentBytes(origin), 0);
});

test('CORS lets pages GET and HEAD, and refuses them anything else', async (t) => {
  const origin = testOrigin({ adminToken: 'a-long-admin-secret-for-tests' });
  t.after(() => origin.close());
  const preflight = (method: string) => origin.inject({ method: 'OPTIONS', url: '/stats/reset', headers: { origin: 'https://evil.example', 'access-control-request-method': method, 'access-control-request-headers': 'authorization' } });
  const allowed = String((await preflight('POST')).headers['access-control-allow-methods'] ?? '');
  assert.deepEqual(allowed.split(',').map((m) => m.trim()).sort(), ['GET', 'HEAD']);
  const segment = await origin.inject({ url: '/vod/sample/240p/seg_000.ts', headers: { origin: 'https://player.example' } });
  assert.equal(segment.headers['access-control-allow-origin'], '*');
});

test('a short ORIGIN_ADMIN_TOKEN fails at start, naming the variable and not echoing the secret', () => {
  assert.throws(() => loadConfig({ ORIGIN_ADMIN_TOKEN: 'short-secret' }), (error: Error) => /ORIGIN_ADMIN_TOKEN/.test(error.message) && !error.message.includes('short-secret'));
  assert.equal(loadConfig({ ORIGIN_ADMIN_TOKEN: 'a-long-admin-secret-for-tests' }).origin.adminToken, 'a-long-admin-secret-for-tests');
});
