// The simulator's contract: repeatable with a seed, its control counts what HTTP-only delivery
// must, and the figures move the way the model says they should (unreachable viewers' own fetches
// apart, fetches per segment that do not grow with the audience), and the CLI refuses bad options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadtestResult } from '../src/result.ts';
import { simulateEvent, type SimulationOptions, type SimulationResult } from '../src/simulate/event-simulation.ts';
import { runCli, readResult } from './support/local-stack.ts';

const base: SimulationOptions = {
  viewers: 40,
  durationSec: 60,
  segmentSec: 2,
  liveLatencySec: 12,
  httpFallbackBufferSec: 3,
  ladderKbit: [400],
  allRenditions: false,
  network: 'residential',
  unreachable: 0,
  cellular: 0.1,
  churnPerMinute: 2,
  rampSec: 0,
  connect: { range: [1000, 3000] },
  cellCapacity: 10_000,
  pricePerGb: 0.02,
  seed: 7,
};
const simulate = (options: Partial<SimulationOptions>) => simulateEvent({ ...base, ...options }, () => undefined);

test('the same seed gives the same result; another seed another audience', async () => {
  const first = await simulate({});
  assert.deepEqual(await simulate({}), first);
  assert.notDeepEqual((await simulate({ seed: 8 })).total.p2p.origin_gbit_s_series, first.total.p2p.origin_gbit_s_series);
});

test('joiners whose first connection comes later than the stream keeps segments (a CPU-bound rehearsal measured up to 38 s) still end, and play', async () => {
  // Before segments past every playhead were dropped, their copies took newer segments' places without end.
  const result = await simulate({ viewers: 48, rampSec: 10, churnPerMinute: 0.5, unreachable: 0.05, connect: { measured: [700, 1300, 9700, 22_800, 38_300] } });
  assert.ok(result.renditions[0]!.p2p.startup_p50_ms !== null, "the joiners played");
  assert.ok(result.total.p2p.fetches_per_segment > 0);
});

test('the HTTP-only control fetches every segment once per viewer', async () => {
  const result = await simulate({ churnPerMinute: 0, ladderKbit: [400, 1200], allRenditions: true, viewers: 41 });
  assert.equal(result.total.http_only.origin_fetches, 41 * result.segments);
  assert.equal(result.total.http_only.fetches_per_segment_by_reason.http_only, 41);
  assert.equal(result.renditions[0]!.viewers + result.renditions[1]!.viewers, 41);
});

test('a lone viewer fetches every segment from the origin, on time', async () => {
  const result = await simulate({ viewers: 1, churnPerMinute: 0 });
  assert.equal(result.total.p2p.fetches_per_segment, 1);
  assert.equal(result.total.p2p.offload_pct, 0);
  assert.equal(result.total.p2p.late_segments, 0);
});

test('peers carry most segments: far fewer origin fetches than viewers, none late on a LAN', async () => {
  const result = await simulate({ viewers: 16, network: 'lan', cellular: 0, churnPerMinute: 0 });
  assert.ok(result.total.p2p.fetches_per_segment < 2, `${result.total.p2p.fetches_per_segment} fetches per segment`);
  assert.ok(result.total.p2p.offload_pct > 85, `${result.total.p2p.offload_pct} % offload`);
  assert.equal(result.total.p2p.late_segments, 0);
});

test('an audience that joins over a ramp, as in a rehearsal: each starts, startup is measured, the backlog counts', async () => {
  const result = await simulate({ viewers: 16, network: 'lan', cellular: 0, churnPerMinute: 0, rampSec: 10 });
  const [rendition] = result.renditions;
  assert.ok(rendition!.p2p.startup_p50_ms !== null && rendition!.p2p.startup_p50_ms > 0);
  assert.equal(result.total.p2p.late_segments, 0);
  // HTTP-only, each viewer fetches the segments it watched, the first joiners' from a live latency
  // back: per distinct segment watched, fewer than 16 (the last joiners start up to 5 segments
  // later, of 36), and the peer-first run fewer still.
  const perSegment = result.total.http_only.fetches_per_segment;
  assert.ok(perSegment > 14.5 && perSegment < 16, `${perSegment} HTTP-only fetches per segment`);
  assert.ok(result.total.p2p.fetches_per_segment < perSegment / 2, `${result.total.p2p.fetches_per_segment} fetches per segment`);
});

test('unreachable viewers raise fetches per segment by their own fetches, not the others\'', async () => {
  const reachable = await simulate({ viewers: 200, churnPerMinute: 0 });
  const some = await simulate({ viewers: 200, churnPerMinute: 0, unreachable: 0.2 });
  assert.ok(some.total.p2p.fetches_per_segment >= reachable.total.p2p.fetches_per_segment + 30, `${some.total.p2p.fetches_per_segment} vs ${reachable.total.p2p.fetches_per_segment}`);
  assert.ok(some.total.p2p.fetches_per_segment_reachable <= reachable.total.p2p.fetches_per_segment_reachable + 2, `${some.total.p2p.fetches_per_segment_reachable} vs ${reachable.total.p2p.fetches_per_segment_reachable}`);
});

test('ten times the viewers in a cell cost far less than ten times the origin fetches', async () => {
  const small = await simulate({ viewers: 100, churnPerMinute: 0 });
  const large = await simulate({ viewers: 1000, churnPerMinute: 0 });
  assert.ok(large.total.p2p.fetches_per_segment < 5 * small.total.p2p.fetches_per_segment, `${large.total.p2p.fetches_per_segment} vs ${small.total.p2p.fetches_per_segment}`);
  // Positive control: the HTTP-only figure does grow tenfold.
  assert.equal(large.total.http_only.fetches_per_segment, 10 * small.total.http_only.fetches_per_segment);
});

test('an audience past a cell\'s capacity is split into cells by the tracker\'s rule and scaled', async () => {
  const result = await simulate({ viewers: 300, cellCapacity: 100, churnPerMinute: 0 });
  const [rendition] = result.renditions;
  assert.ok(rendition!.cells >= 4, `${rendition!.cells} cells`);
  assert.equal(rendition!.cells_simulated, 2);
  assert.equal(result.total.http_only.origin_fetches, 300 * result.segments);
});

test('the CLI writes the JSON result and an HTML report with the figures beside the HTTP-only control', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simulate-'));
  const run = await runCli(['simulate', '--viewers', '30', '--duration', '20', '--out', join(dir, 'sim.json'), '--report', join(dir, 'sim.html')]);
  assert.equal(run.code, 0, run.stderr);
  const json = readResult(join(dir, 'sim.json')) as LoadtestResult & { details: SimulationResult };
  assert.equal(json.scenario, 'simulate');
  assert.equal(json.details.total.http_only.fetches_per_segment, 30);
  // The metrics a pipeline gates on say the same as the details.
  const named = (name: string) => json.metrics.find((m) => m.name === name && m.tags === undefined)?.value;
  assert.equal(named('http_only_fetches_per_segment'), 30);
  assert.equal(named('fetches_per_segment'), json.details.total.p2p.fetches_per_segment);
  assert.equal(named('offload'), json.details.total.p2p.offload_pct / 100);
  const html = readFileSync(join(dir, 'sim.html'), 'utf8');
  assert.match(html, /origin fetches per segment/);
  assert.match(html, /HTTP-only control: 30/);
  assert.equal((html.match(/<svg/g) ?? []).length, 2, 'egress over time and fetches per rendition');
});

test('thresholds gate the run: exit 1 and a JUnit failure when one fails, exit 0 when all pass; CSV one row per rendition', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simulate-verdict-'));
  const base = ['simulate', '--viewers', '30', '--duration', '20', '--renditions', 'all'];
  const passing = await runCli([...base, '--threshold', 'http_only_fetches_per_segment==30', 'offload>=0%', 'fetches_per_segment{rendition:400k}<=30', '--junit', join(dir, 'pass.xml'), '--csv', join(dir, 'renditions.csv')]);
  assert.equal(passing.code, 0, passing.stdout + passing.stderr);
  assert.match(passing.stdout, /3 of 3 thresholds passed/);
  assert.match(readFileSync(join(dir, 'pass.xml'), 'utf8'), /<testsuite [^>]*tests="3" failures="0"/);
  const csv = readFileSync(join(dir, 'renditions.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(csv.length, 4, 'a header and the three rungs');
  assert.match(csv[0]!, /^bitrate_kbit,viewers,.*p2p\.fetches_per_segment/);

  const out = join(dir, 'fail.json');
  const failing = await runCli([...base, '--threshold', 'late_segments>=0', 'offload>=1.01', 'no_such_metric<1', '--junit', join(dir, 'fail.xml'), '--out', out, '--report', join(dir, 'fail.html')]);
  assert.equal(failing.code, 1, failing.stdout + failing.stderr);
  assert.match(failing.stdout, /✗ offload>=1\.01/);
  assert.match(failing.stdout, /✗ no_such_metric<1: .*fetches_per_segment/);
  assert.match(failing.stdout, /1 of 3 thresholds passed/);
  assert.match(readFileSync(join(dir, 'fail.xml'), 'utf8'), /<testsuite [^>]*tests="3" failures="2"/);
  const verdict = readResult(out).verdict!;
  assert.equal(verdict.passed, false);
  assert.deepEqual(verdict.thresholds.map((t) => t.passed), [true, false, false]);
  assert.match(readFileSync(join(dir, 'fail.html'), 'utf8'), /Thresholds: FAILED.*✗ offload&gt;=1\.01/s);
});

const usageErrors: Array<[string[], RegExp]> = [
  [['simulate', '--threshold', 'offload=>0.9'], /--threshold "offload=>0.9": expected/],
  [['simulate', '--threshold', 'startup_p95<=3sec'], /unknown unit "sec"/],
  [['simulate', '--viewers', '0'], /--viewers.*expected an integer from 1/],
  [['simulate', '--unreachable', '1.5'], /--unreachable.*expected a fraction from 0 to 1/],
  [['simulate', '--unreachable', '0.6', '--cellular', '0.6'], /--unreachable 0.6 and --cellular 0.6 .*together at most 1/],
  [['simulate', '--ladder', '400,1200k'], /--ladder.*e\.g\. 400k,1200k,3000k/],
  [['simulate', '--network', 'moon'], /--network.*expected one of lan, residential, mobile/],
  [['simulate', '--live-latency', '4', '--http-fallback-buffer', '5'], /--http-fallback-buffer 5 must be lower than --live-latency 4/],
  [['simulate', '--churn', '-1'], /--churn.*expected a number from 0/],
  [['simulate', '--connect', '3000-1000'], /--connect.*lowest first/],
  [['simulate', '--duration', '60', '--ramp', '60'], /--ramp 60 must be shorter than --duration 60/],
  [['simulate', '--price-per-gb', 'free'], /--price-per-gb.*expected a number/],
];

for (const [args, message] of usageErrors) {
  test(`usage error: ${args.join(' ')}`, async () => {
    const run = await runCli(args);
    assert.equal(run.code, 2, `exit code; stderr: ${run.stderr}`);
    assert.match(run.stderr, message);
  });
}
