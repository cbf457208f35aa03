// The tracker scenario against a tracker started here: a closed loop (limits raised, as a capacity
// test needs) and a viewer's cadence within the tracker's default limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, runCli, startTracker, readResult } from './support/local-stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadtest-tracker-'));

test('tracker: closed-loop peers announce, offers are relayed and answered, latency measured', { timeout: 60_000 }, async (t) => {
  const tracker = await startTracker({ maxMessagesPerSecond: 1_000_000, maxConnectionsPerIp: 1_000_000 });
  t.after(() => tracker.close());
  const out = join(dir, 'loop.json');
  const run = await runCli(['tracker', '--tracker', tracker.url, '--peers', '400', '--swarms', '4', '--mode', 'closed-loop', '--processes', '2', '--duration', '3', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const result = readResult(out);
  assert.equal(figure(result, 'peers joined'), 400);
  assert.equal(figure(result, 'connections held'), 400);
  assert.equal(figure(result, 'tracker connections'), 400);
  assert.ok(figure(result, 'announces/s') > 0);
  assert.ok(figure(result, 'offers relayed/s') > 0);
  assert.ok(figure(result, 'answers relayed/s') > 0);
  assert.ok(Number.isFinite(figure(result, 'offer→answer max')));
  assert.equal(figure(result, 'failures'), 0);
  assert.equal(figure(result, 'disconnects'), 0);
});

test("tracker: at a viewer's cadence, peers spread over source addresses stay within the default per-address limit", { timeout: 60_000 }, async (t) => {
  const tracker = await startTracker();
  t.after(() => tracker.close());
  const out = join(dir, 'cadence.json');
  const run = await runCli(['tracker', '--tracker', tracker.url, '--peers', '300', '--announce-interval', '2', '--duration', '3', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const result = readResult(out);
  assert.equal(figure(result, 'peers joined'), 300, JSON.stringify(result.details['join']));
  assert.equal(figure(result, 'connections held'), 300);
  assert.ok(figure(result, 'announces/s') > 0);
  assert.equal(figure(result, 'failures'), 0);
});
