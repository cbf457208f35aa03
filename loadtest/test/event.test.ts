// The event scenario against a tracker and an origin started here: three real p2p-media-loader
// viewers with real WebRTC share a live stream, and the origin serves less than HTTP-only would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadtestResult } from '../src/result.ts';
import { figure, runCli, startOrigin, startTracker } from './support/local-stack.ts';

// WebRTC gathers ICE candidates on every interface: this runs only where traffic can reach
// nothing but loopback (a loopback-only namespace), unless explicitly allowed.
const offLoopback = Object.values(networkInterfaces()).some((addresses) => addresses?.some((a) => !a.internal));
const skip =
  offLoopback && process.env['SWARMCAST_WEBRTC_ANY_INTERFACE'] !== '1'
    ? "opens WebRTC connections: run in a loopback-only namespace (unshare --net bash -c 'ip link set lo up && …') or set SWARMCAST_WEBRTC_ANY_INTERFACE=1"
    : false;

test('event: three virtual viewers of the live stream offload the origin through each other', { skip, timeout: 90_000 }, async (t) => {
  const [tracker, origin] = await Promise.all([startTracker(), startOrigin()]);
  t.after(async () => {
    await tracker.close();
    await origin.close();
  });
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-event-'));
  const out = join(dir, 'event.json');
  const run = await runCli(['event', '--origin', origin.url, '--tracker', tracker.url, '--viewers', '3', '--duration', '36', '--ramp', '4', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(readFileSync(out, 'utf8')) as LoadtestResult;
  assert.equal(figure(result, 'viewers'), 3, run.stderr);
  assert.ok(figure(result, 'offload') > 0, `offload ${figure(result, 'offload')} %`);
  assert.ok(figure(result, 'peer connections') > 0);
  assert.ok(figure(result, 'segments') > 20);
  const egress = figure(result, 'origin egress');
  const baseline = figure(result, 'HTTP-only baseline');
  assert.ok(egress > 0 && baseline > egress, `origin ${egress} MB vs baseline ${baseline} MB`);
  assert.ok(figure(result, 'uploaded') > 0);
  const viewers = result.details['viewers'] as { segmentsLoaded: number; startupSec: number | null }[];
  assert.ok(viewers.every((v) => v.segmentsLoaded > 0 && v.startupSec !== null), 'every viewer played');
});
