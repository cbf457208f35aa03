// The event rehearsed against someone else's origin: nginx as a caching CDN in front of ours, with
// no /stats for the viewers to see. The run counts origin fetches from the viewers' own reports,
// says so, and agrees with the CDN's access log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OriginStats } from '@swarmcast/protocol/stats';
import { acceptsConnections, freePort, track, webrtcSkip } from '@swarmcast/testkit';
import { readResult, runCli, startOrigin, startTracker } from './support/local-stack.ts';

const NGINX = '/usr/sbin/nginx';

/** nginx on loopback caching `/live/` from `origin` (as a CDN edge does, honouring its Cache-Control); anything else is 404. */
async function startCachingCdn(origin: string): Promise<{ url: string; accessLog: () => string; stop: () => Promise<void> }> {
  const prefix = mkdtempSync(join(tmpdir(), 'loadtest-cdn-'));
  // nginx's workers run as `nobody` when the test runs as root.
  chmodSync(prefix, 0o777);
  for (const dir of ['temp', 'cache']) mkdirSync(join(prefix, dir), { mode: 0o777 });
  const port = await freePort();
  writeFileSync(join(prefix, 'nginx.conf'), [
    'daemon off;',
    `pid ${prefix}/nginx.pid;`,
    `error_log ${prefix}/error.log;`,
    'worker_processes 1;',
    'events { worker_connections 256; }',
    'http {',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${prefix}/temp/${kind};`),
    `  proxy_cache_path ${prefix}/cache keys_zone=hls:4m max_size=200m inactive=10m use_temp_path=off;`,
    "  log_format hls '$request_method $uri $status $upstream_cache_status';",
    `  access_log ${prefix}/access.log hls;`,
    '  server {',
    `    listen 127.0.0.1:${port};`,
    '    location /live/ {',
    `      proxy_pass ${origin};`,
    '      proxy_cache hls;',
    '      proxy_cache_lock on;',
    '    }',
    '    location / { return 404; }',
    '  }',
    '}',
  ].join('\n'));
  const child = spawn(NGINX, ['-p', prefix, '-e', `${prefix}/error.log`, '-c', `${prefix}/nginx.conf`], { stdio: 'ignore' });
  track(child);
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; waited < 10_000 && !(await acceptsConnections(port)); waited += 100) await sleep(100);
  if (!(await acceptsConnections(port))) throw new Error(`nginx did not start: ${existsSync(`${prefix}/error.log`) ? readFileSync(`${prefix}/error.log`, 'utf8') : ''}`);
  return {
    url,
    accessLog: () => readFileSync(`${prefix}/access.log`, 'utf8'),
    stop: async () => {
      child.kill('SIGQUIT');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

const nginxMissing = webrtcSkip || (existsSync(NGINX) ? false : `${NGINX} is not installed`);

test('event --src on a caching CDN with no /stats: fetches counted from the viewers\' reports, within 10 % of the CDN\'s access log', { skip: nginxMissing, timeout: 120_000 }, async (t) => {
  const [tracker, origin] = await Promise.all([startTracker(), startOrigin()]);
  const cdn = await startCachingCdn(origin.url);
  t.after(async () => {
    await cdn.stop();
    await tracker.close();
    await origin.close();
  });
  assert.equal((await fetch(`${cdn.url}/stats`)).status, 404, 'the viewers see no /stats');
  const out = join(mkdtempSync(join(tmpdir(), 'loadtest-cdn-')), 'event.json');
  const run = await runCli(['event', '--src', `${cdn.url}/live/sample/master.m3u8`, '--tracker', tracker.url, '--viewers', '3', '--duration', '30', '--ramp', '4', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const result = readResult(out);
  assert.equal(result.details['originCountsFrom'], 'viewer-reports');
  assert.match(String(result.figures.find((f) => f.label === 'origin fetches per segment')?.meaning), /the viewers reported \(the origin has no \/stats of ours\)/);

  // Segment requests the CDN served (hits and misses alike): what the viewers' own fetch reports count.
  const served = cdn.accessLog().split('\n').filter((line) => /^GET \/live\/sample\/[^/]+\/\d+\.\w+ 200 /.test(line)).length;
  const renditions = result.details['renditions'] as Array<{ segmentsWatched: number; originRequests: number }>;
  const watched = renditions.reduce((all, r) => all + r.segmentsWatched, 0);
  const fetches = result.metrics.find((m) => m.name === 'fetches_per_segment' && m.tags === undefined)!.value;
  assert.ok(served > 0);
  assert.ok(Math.abs(fetches - served / watched) <= 0.1 * (served / watched), `${fetches} per segment reported, ${served / watched} in the CDN's log`);
  // Our origin behind the CDN is the cross-check: it sent each segment at most as often as the CDN served it.
  const behind = ((await (await fetch(`${origin.url}/stats`)).json()) as OriginStats).streams['live/sample']?.kinds.segment?.requests ?? 0;
  assert.ok(behind > 0 && behind <= served, `origin ${behind}, CDN ${served}`);
});
