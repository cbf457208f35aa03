import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runEntry } from '@swarmcast/testkit';
import { buildOrigin } from '../src/app.ts';
import { defaultOriginOptions, loadConfig } from '../src/config.ts';
import { SAMPLE_MEDIA_DIR } from './fixture.ts';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('loadConfig', () => {
  test('defaults: port 8080 on all interfaces, bundled media, 8-segment window, a 2026 epoch, any origin', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.origin.mediaDir, SAMPLE_MEDIA_DIR);
    assert.equal(config.origin.liveWindowSegments, 8);
    assert.equal(config.origin.liveEpochMs, Date.parse('2026-01-01T00:00:00Z'));
    assert.equal(config.origin.corsOrigins, '*');
    assert.equal(config.origin.demoPage, defaultOriginOptions.demoPage);
  });

  test('reads every variable', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      MEDIA_DIR: SAMPLE_MEDIA_DIR,
      LIVE_WINDOW_SEGMENTS: '10',
      LIVE_EPOCH: '2030-01-01T00:00:00Z',
      CORS_ORIGINS: 'https://a.example, http://localhost:3000',
      DEMO_PAGE: '/tmp/demo.html',
      SDK_BUNDLE: '/tmp/sdk.js',
      LOG_LEVEL: 'warn',
    });
    assert.equal(config.port, 0);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.origin.liveWindowSegments, 10);
    assert.equal(config.origin.liveEpochMs, Date.parse('2030-01-01T00:00:00Z'));
    assert.deepEqual(config.origin.corsOrigins, ['https://a.example', 'http://localhost:3000']);
    assert.equal(config.origin.demoPage, '/tmp/demo.html');
    assert.equal(config.origin.sdkBundle, '/tmp/sdk.js');
    assert.deepEqual(config.origin.logger, { level: 'warn' });
    assert.equal(loadConfig({ LIVE_EPOCH: '1700000000000' }).origin.liveEpochMs, 1_700_000_000_000);
  });

  test('a bad value fails fast naming its variable', () => {
    const cases: [string, string][] = [
      ['PORT', 'eighty'],
      ['PORT', '70000'],
      ['MEDIA_DIR', '/nonexistent/media'],
      ['LIVE_WINDOW_SEGMENTS', '5'],
      ['LIVE_WINDOW_SEGMENTS', '11'],
      ['LIVE_WINDOW_SEGMENTS', '6.5'],
      ['LIVE_EPOCH', 'yesterday'],
      ['CORS_ORIGINS', 'a.example'],
      ['LOG_LEVEL', 'loud'],
    ];
    for (const [name, value] of cases) {
      assert.throws(() => loadConfig({ [name]: value }), new RegExp(`^ConfigError: ${name}=`), `${name}=${value}`);
    }
  });

  test('buildOrigin refuses a live window outside 6–10', () => {
    assert.throws(() => buildOrigin({ logger: false, liveWindowSegments: 3 }), /liveWindowSegments/);
  });

  test('buildOrigin fails at ready() when the media folder cannot be read', async () => {
    const app = buildOrigin({ logger: false, mediaDir: '/nonexistent/media' });
    await assert.rejects(async () => app.ready(), /ENOENT/);
  });
});

function runMain(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return runEntry('src/main.ts', { cwd: packageDir, env, listening: 'origin listening on' });
}

describe('main', () => {
  test('exits 1 with the variable name on a bad configuration', async () => {
    const { code, output } = await runMain({ PORT: 'eighty' });
    assert.equal(code, 1);
    assert.match(output, /configuration error: PORT="eighty" is invalid/);
  });

  test('logs one line when listening and stops on SIGTERM', async () => {
    const { code, output } = await runMain({ PORT: '0', HOST: '127.0.0.1' });
    assert.equal(code, 0);
    assert.equal(output.split('\n').filter((line) => line.includes('origin listening on http://127.0.0.1:')).length, 1);
  });
});
