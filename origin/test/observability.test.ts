/**
 * What operators scrape, probe and read in the origin's log, through HTTP against running origins:
 * process metrics and build_info, responses by route kind and status code with their time, the
 * health probes, and at most one log line per request (at `debug` unless REQUEST_LOG_LEVEL says).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config.ts';
import { SAMPLE_MEDIA_DIR, tempMediaDir, testOrigin } from './fixture.ts';

const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
const ADMIN_TOKEN = 'observability-admin-secret';
const SEGMENT = '/vod/sample/240p/seg_001.ts';

/** Starts an origin on a free loopback port; closed after the file's tests. */
const running: FastifyInstance[] = [];
after(() => Promise.all(running.map((app) => app.close())));
async function listen(app: FastifyInstance): Promise<string> {
  running.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

async function scrape(base: string): Promise<{ types: Map<string, string>; samples: Map<string, number> }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  const samples = new Map([...text.matchAll(/^([a-z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
  return { types, samples };
}

describe('origin observability', async () => {
  const base = await listen(testOrigin({ adminToken: ADMIN_TOKEN }));

  test('process metrics, build_info and the HTTP metrics exist with their types', async () => {
    const { types, samples } = await scrape(base);
    for (const [name, type] of [
      ['process_cpu_seconds_total', 'counter'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
      ['swarmcast_build_info', 'gauge'],
      ['swarmcast_origin_http_requests_total', 'counter'],
      ['swarmcast_origin_http_request_duration_seconds', 'histogram'],
      ['swarmcast_origin_bytes_total', 'counter'],
    ]) {
      assert.equal(types.get(name!), type, name);
    }
    assert.equal(samples.get(`swarmcast_build_info{version="${VERSION}"}`), 1);
  });

  test('a segment request is counted by kind and status code and timed; a miss is counted as a 404', async () => {
    const before = await scrape(base);
    assert.equal((await fetch(base + SEGMENT)).status, 200);
    assert.equal((await fetch(`${base}/vod/sample/240p/no-such-segment.ts`)).status, 404);
    assert.equal((await fetch(`${base}/no/such/route`)).status, 404);
    const later = await scrape(base);
    const added = (series: string) => (later.samples.get(series) ?? 0) - (before.samples.get(series) ?? 0);
    assert.equal(added('swarmcast_origin_http_requests_total{kind="segment",status_code="200"}'), 1);
    assert.equal(added('swarmcast_origin_http_requests_total{kind="segment",status_code="404"}'), 1);
    assert.equal(added('swarmcast_origin_http_requests_total{kind="unmatched",status_code="404"}'), 1);
    assert.equal(added('swarmcast_origin_http_request_duration_seconds_count{kind="segment"}'), 2);
    assert.ok(added('swarmcast_origin_http_request_duration_seconds_sum{kind="segment"}') > 0);
    // Labels are kinds, never URLs.
    assert.equal([...later.samples.keys()].some((series) => series.includes('seg_001')), false);
  });

  test('resetting the egress counters leaves build_info and the HTTP metrics alone', async () => {
    const reset = await fetch(`${base}/stats/reset`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(reset.status, 200);
    const { samples } = await scrape(base);
    assert.equal(samples.get(`swarmcast_build_info{version="${VERSION}"}`), 1);
    assert.ok((samples.get('swarmcast_origin_http_requests_total{kind="segment",status_code="200"}') ?? 0) >= 1);
  });

  test('/health/live and /health/ready answer 200 with a catalogue; /health keeps its body', async () => {
    assert.equal((await fetch(`${base}/health/live`)).status, 200);
    const ready = await fetch(`${base}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ok', streams: 1 });
    assert.deepEqual(((await (await fetch(`${base}/health`)).json()) as { vod: string[] }).vod, ['sample']);
  });

  test('/health/ready answers 503 with a reason when the media folder holds no stream; live stays 200', async (t) => {
    const empty = await tempMediaDir({ 'README.txt': 'no stream here' });
    t.after(empty.cleanup);
    const bare = await listen(testOrigin({ mediaDir: empty.dir }));
    assert.equal((await fetch(`${bare}/health/live`)).status, 200);
    const ready = await fetch(`${bare}/health/ready`);
    assert.equal(ready.status, 503);
    assert.match(((await ready.json()) as { error: string }).error, /MEDIA_DIR/);
  });
});

describe('origin request log', () => {
  /** An origin whose log lines are collected; `requestLogLevel` as REQUEST_LOG_LEVEL gives it. */
  async function logged(logLevel: string, requestLogLevel: string) {
    const lines: Array<Record<string, unknown>> = [];
    const stream = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
    const { origin } = loadConfig({ MEDIA_DIR: SAMPLE_MEDIA_DIR, REQUEST_LOG_LEVEL: requestLogLevel });
    const base = await listen(testOrigin({ logger: { level: logLevel, stream }, requestLogLevel: origin.requestLogLevel }));
    await fetch(`${base}${SEGMENT}?token=do-not-log-me`);
    await fetch(`${base}/health`);
    const requestLines = () => lines.filter((line) => line['reqId'] !== undefined);
    return requestLines();
  }

  test('one line per request at debug by default, none at info; tokens redacted', async () => {
    const { origin } = loadConfig({ MEDIA_DIR: SAMPLE_MEDIA_DIR });
    assert.equal(origin.requestLogLevel, 'debug');
    const atDebug = await logged('debug', 'debug');
    assert.equal(atDebug.length, 2, 'one line for each of the two requests');
    assert.ok(atDebug.every((line) => line['level'] === 20));
    const segmentLine = JSON.stringify(atDebug[0]);
    assert.match(segmentLine, /seg_001\.ts/);
    assert.doesNotMatch(segmentLine, /do-not-log-me/);
    assert.equal((await logged('info', 'debug')).length, 0);
  });

  test('REQUEST_LOG_LEVEL=info writes them at info; off writes none', async () => {
    const atInfo = await logged('info', 'info');
    assert.equal(atInfo.length, 2);
    assert.ok(atInfo.every((line) => line['level'] === 30));
    assert.equal((await logged('trace', 'off')).length, 0);
  });
});
