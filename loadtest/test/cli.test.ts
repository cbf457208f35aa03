// The CLI's contract with its user: usage errors exit 2 with a reason, off-machine targets are
// refused unless allowed, and Ctrl-C ends a run with a partial result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OriginStats } from '@swarmcast/protocol/stats';
import { until } from '@swarmcast/testkit';
import { runCli, startOrigin, readResult } from './support/local-stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadtest-cli-'));

test('--help lists the scenarios and exits 0', async () => {
  const run = await runCli(['--help']);
  assert.equal(run.code, 0);
  for (const scenario of ['origin', 'tracker', 'event']) assert.match(run.stdout, new RegExp(`${scenario} \\[options\\]`));
});

const usageErrors: Array<[string[], RegExp]> = [
  [['nope'], /unknown command 'nope'/],
  [['origin', '--viewers', '0'], /--viewers.*expected an integer from 1/],
  [['origin', '--viewers', 'lots'], /--viewers.*expected an integer/],
  [['origin', '--bogus'], /unknown option '--bogus'/],
  [['origin', '--origin', 'ftp://127.0.0.1'], /--origin.*expected a http: or https: URL/],
  [['origin', '--duration', '900'], /--duration 900 exceeds --max-duration 600/],
  [['origin', '--duration', '5', '--ramp', '10'], /--ramp 10 exceeds --duration 5/],
  [['origin', '--mix', '240p'], /--mix.*name=weight/],
  [['tracker', '--tracker', 'http://127.0.0.1:8000'], /--tracker.*ws: or wss:/],
  [['tracker', '--mode', 'fast'], /--mode.*cadence, closed-loop/],
  [['tracker', '--peers', '100000', '--processes', '2'], /more than 15,000 peers per process/],
  [['event', '--live-latency', '4', '--http-fallback-buffer', '5'], /--http-fallback-buffer 5 must be lower than --live-latency 4/],
  [['event', '--origin', 'http://192.0.2.1:8080'], /192\.0\.2\.1.*not loopback: pass --allow-remote/],
  [['tracker', '--tracker', 'ws://192.0.2.1:8000'], /not loopback/],
  [['event', '--network', 'moon'], /--network.*expected one of lan, residential, mobile/],
  [['event', '--unreachable', '2'], /--unreachable.*expected a fraction from 0 to 1/],
  [['event', '--churn', '-1'], /--churn.*expected a number from 0 to 600/],
  [['event', '--uplink', '10Mbps'], /--uplink/],
  [['event', '--rendition', '240p', '--renditions', 'all'], /--renditions.*cannot be used with.*--rendition/],
  [['event', '--compare', 'http-only', '--no-p2p'], /--compare http-only needs a P2P run/],
  [['event', '--network', 'residential', '--allow-remote'], /--allow-remote cannot be combined with --network/],
];

for (const [args, message] of usageErrors) {
  test(`usage error: ${args.join(' ')}`, async () => {
    const run = await runCli(args);
    assert.equal(run.code, 2, `exit code; stderr: ${run.stderr}`);
    assert.match(run.stderr, message);
  });
}

test('a network profile where test hosts cannot be made exits 2 and says what is missing', async () => {
  // No `ip`, `tc`, `unshare` or `nft` on an empty PATH: as on a machine without iproute2.
  const run = await runCli(['event', '--network', 'residential'], undefined, { PATH: '/nonexistent' });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--network residential needs test hosts.*missing ip \(apt-get install iproute2\)/);
});

/** Live segment requests the origin has answered, from its `/stats`. */
async function segmentRequests(originUrl: string): Promise<number> {
  const stats = (await (await fetch(`${originUrl}/stats`)).json()) as OriginStats;
  return stats.streams['live/sample']?.kinds.segment?.requests ?? 0;
}

test('Ctrl-C stops a run cleanly with a partial result and report', { timeout: 30_000 }, async (t) => {
  const origin = await startOrigin();
  t.after(() => origin.close());
  const out = join(dir, 'partial.json');
  const report = join(dir, 'partial.html');
  const startedAt = Date.now();
  let pid = 0;
  const running = runCli(['origin', '--origin', origin.url, '--viewers', '10', '--duration', '60', '--out', out, '--report', report], (spawned) => (pid = spawned));
  // Interrupted once it is measuring: its viewers fetch segments, its setup only playlists.
  await until(async () => (await segmentRequests(origin.url)) > 0, 'the run fetched a segment', { timeoutMs: 15_000, intervalMs: 100 });
  process.kill(pid, 'SIGINT');
  const run = await running;
  assert.equal(run.code, 130, run.stderr);
  assert.ok(Date.now() - startedAt < 20_000, 'stopped well before its 60 s');
  const result = readResult(out);
  assert.match(result.stoppedEarly ?? '', /interrupted/);
  assert.ok(result.durationSec < 20);
  assert.ok(Number(result.figures.find((f) => f.label === 'requests')?.value) > 0);
  assert.match(readFileSync(report, 'utf8'), /partial: interrupted/);
});
