import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { tempMediaDir, testOrigin } from './fixture.ts';

describe('demo page and SDK bundle', () => {
  test('a placeholder page and a 404 for the bundle while the player SDK is not built', async () => {
    const origin = testOrigin();
    try {
      const page = await origin.inject('/');
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(page.body, /not built/);
      const bundle = await origin.inject('/sdk/swarmcast.min.js');
      assert.equal(bundle.statusCode, 404);
      assert.match(bundle.json().message, /not built/);
    } finally {
      await origin.close();
    }
  });

  test('the built page and bundle from the configured paths', async () => {
    const built = await tempMediaDir({ 'demo/index.html': '<!doctype html><title>demo</title>', 'swarmcast.min.js': 'window.Swarmcast={};' });
    const origin = testOrigin({ demoPage: join(built.dir, 'demo/index.html'), sdkBundle: join(built.dir, 'swarmcast.min.js') });
    try {
      const page = await origin.inject('/');
      assert.equal(page.body, '<!doctype html><title>demo</title>');
      assert.equal(page.headers['cache-control'], 'no-cache');
      const bundle = await origin.inject({ url: '/sdk/swarmcast.min.js', headers: { origin: 'https://elsewhere.example' } });
      assert.equal(bundle.statusCode, 200);
      assert.equal(bundle.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(bundle.headers['access-control-allow-origin'], '*');
      assert.equal(bundle.body, 'window.Swarmcast={};');
    } finally {
      await origin.close();
      await built.cleanup();
    }
  });

  test('/health lists the streams', async () => {
    const origin = testOrigin();
    try {
      assert.deepEqual((await origin.inject('/health')).json(), { status: 'ok', vod: ['sample'], live: ['sample'] });
    } finally {
      await origin.close();
    }
  });
});
