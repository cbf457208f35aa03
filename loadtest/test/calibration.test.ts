// The simulator against a real rehearsal it was not tuned on, CI-sized: 8 real p2p-media-loader
// viewers (own processes, real WebRTC) of the live stream, then the simulation of that run's own
// scenario (simulate/calibration.ts). The bar is looser than the README's calibration (a loaded
// 2-core machine delays real viewers, never simulated ones), tight enough to catch a model that
// lost touch with the product: fetches per segment within half (or 0.5), offload within 10 points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webrtcSkip } from '@swarmcast/testkit';
import { rehearsalFigures, simulatedFigures, simulationOf } from '../src/simulate/calibration.ts';
import { simulateEvent } from '../src/simulate/event-simulation.ts';
import { runCli, startOrigin, startTracker, readResult } from './support/local-stack.ts';

test('calibration: the simulation of a real 8-viewer rehearsal gives its fetches per segment and offload', { skip: webrtcSkip, timeout: 240_000 }, async (t) => {
  const [tracker, origin] = await Promise.all([startTracker(), startOrigin()]);
  t.after(async () => {
    await tracker.close();
    await origin.close();
  });
  const out = join(mkdtempSync(join(tmpdir(), 'calibration-')), 'event.json');
  const run = await runCli(['event', '--origin', origin.url, '--tracker', tracker.url, '--viewers', '8', '--duration', '40', '--ramp', '6', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const rehearsal = readResult(out);
  const real = rehearsalFigures(rehearsal);
  const simulated = simulatedFigures(await simulateEvent(simulationOf(rehearsal, 1), () => undefined));
  const said = `real ${JSON.stringify(real)}, simulated ${JSON.stringify(simulated)}`;
  console.log(`  calibration, 8 viewers lan: ${said}`);
  const gap = Math.abs(real.fetchesPerSegment - simulated.fetchesPerSegment);
  assert.ok(gap <= Math.max(0.5, 0.5 * real.fetchesPerSegment), `fetches per segment: ${said}`);
  assert.ok(Math.abs(real.offloadPct - simulated.offloadPct) <= 10, `offload: ${said}`);
  // The rehearsal did share (8 viewers over HTTP alone fetch each segment 8 times), so agreeing says something.
  assert.ok(real.fetchesPerSegment < 4, `the rehearsal shared: ${said}`);
});
