// The origin scenario against an origin started here: live and VOD request patterns, a flash-crowd
// ramp and an ABR mix, read back from the JSON result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, runCli, startOrigin, readResult } from './support/local-stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadtest-origin-'));

test('origin: live viewers ramped in over an ABR mix get playlists and segments, all 2xx', { timeout: 30_000 }, async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.close());
  const out = join(dir, 'live.json');
  const run = await runCli(['origin', '--origin', origin.url, '--viewers', '30', '--duration', '4', '--ramp', '2', '--mix', '240p=1,720p=2', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const result = readResult(out);
  assert.equal(result.scenario, 'origin');
  assert.equal(result.stoppedEarly, null);
  assert.equal(figure(result, 'viewers'), 30);
  assert.ok(figure(result, 'requests') > 20, `requests: ${figure(result, 'requests')}`);
  assert.ok(figure(result, 'throughput') > 0);
  assert.ok(figure(result, 'latency p50') > 0);
  assert.equal(figure(result, 'non-2xx'), 0);
  assert.equal(figure(result, 'errors'), 0);
  const renditions = result.details['renditions'] as { name: string; viewers: number }[];
  assert.deepEqual(renditions.map((r) => [r.name, r.viewers]), [['240p', 10], ['360p', 0], ['720p', 20]]);
  assert.match(run.stdout, /requests\/s/);
});

test('origin: VOD viewers read segments through the stream', { timeout: 30_000 }, async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.close());
  const out = join(dir, 'vod.json');
  const run = await runCli(['origin', '--origin', origin.url, '--vod', '--viewers', '10', '--duration', '2', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const result = readResult(out);
  assert.ok(figure(result, 'requests') > 5);
  assert.equal(figure(result, 'non-2xx'), 0);
  assert.equal((result.parameters as { vod: boolean }).vod, true);
});
