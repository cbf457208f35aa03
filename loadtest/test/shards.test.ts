// An event rehearsed by three load generators: each shard a CLI process in a network namespace of
// its own (a machine of its own, as far as its viewers' WebRTC can tell), all against one tracker
// and one origin, started on one agreed schedule; `merge` then reports them as one run, checked
// against the shards' own figures and the origin's own counters for the whole run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OriginStats } from '@swarmcast/protocol/stats';
import { webrtcSkip } from '@swarmcast/testkit';
import { namespaceSupport, TestNetwork } from '../src/network/test-hosts.ts';
import type { LoadtestResult } from '../src/result.ts';
import type { EventRecording } from '../src/scenarios/event-scenario.ts';
import { runCliOnHost } from './support/cli-on-host.ts';
import { readResult, runCli, startOrigin, startTracker } from './support/local-stack.ts';

const hostsMissing = webrtcSkip || (await namespaceSupport({ firewall: true }));

const SHARDS = 3;
const VIEWERS = 6;
const RAMP_SEC = 6;

const segmentRequests = async (origin: string) => ((await (await fetch(`${origin}/stats`)).json()) as OriginStats).streams['live/sample']?.kinds.segment?.requests ?? 0;
const metric = (result: LoadtestResult, name: string) => result.metrics.find((m) => m.name === name && m.tags === undefined)?.value;

test('three shards in namespaces of their own, merged: the audience one machine would have run, its figures the shards\' combined, its origin fetches the origin\'s own count', { skip: hostsMissing || false, timeout: 240_000 }, async (t) => {
  const [tracker, origin] = await Promise.all([startTracker(), startOrigin()]);
  const network = await TestNetwork.create();
  t.after(async () => {
    await network.close();
    await tracker.close();
    await origin.close();
  });
  await network.exposeLoopbackPorts([origin.url, tracker.url].map((url) => Number(new URL(url).port)));
  const viaGateway = (url: string) => url.replace('127.0.0.1', network.gateway);
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-shards-'));
  const outs = [...Array(SHARDS).keys()].map((i) => join(dir, `shard-${i}.json`));
  const before = await segmentRequests(origin.url);
  // Far enough ahead for three CLIs to start on a loaded machine.
  const startAt = new Date(Date.now() + 25_000).toISOString();
  const runs = await Promise.all(outs.map((out, i) => runCliOnHost(network, [
    'event', '--origin', viaGateway(origin.url), '--tracker', viaGateway(tracker.url), '--allow-remote',
    '--viewers', String(VIEWERS), '--duration', '36', '--ramp', String(RAMP_SEC), '--shard', `${i}/${SHARDS}`, '--start-at', startAt, '--out', out,
  ])));
  for (const [i, run] of runs.entries()) assert.equal(run.code, 0, `shard ${i}: ${run.stderr}`);
  const after = await segmentRequests(origin.url);
  const shards = outs.map(readResult);

  const mergedOut = join(dir, 'merged.json');
  const mergedReport = join(dir, 'merged.html');
  const merge = await runCli(['merge', ...outs, '--out', mergedOut, '--report', mergedReport, '--threshold', `viewers==${VIEWERS}`]);
  assert.equal(merge.code, 0, merge.stderr + merge.stdout);
  const merged = readResult(mergedOut);
  assert.match(readFileSync(mergedReport, 'utf8'), /Offload per shard/);

  // The whole audience, each viewer once, each joined on the one schedule (viewer n at n × ramp / V from the agreed start).
  assert.equal(metric(merged, 'viewers'), VIEWERS);
  const records = (merged.details['recording'] as EventRecording).passes[0]!.records;
  assert.deepEqual(records.map((r) => r.name).sort(), [...Array(VIEWERS).keys()].map((n) => `viewer-${n + 1}`).sort());
  for (const record of records) {
    const n = Number(record.name.slice('viewer-'.length)) - 1;
    assert.ok(Math.abs(record.joinedAtSec - (n * RAMP_SEC) / VIEWERS) < 2, `${record.name} joined at ${record.joinedAtSec} s`);
  }
  assert.ok(records.some((r) => (r.stats?.p2pBytes ?? 0) > 0), 'viewers shared across shards');
  // Sums and byte-weighted shares of the shards' own figures.
  const totals = shards.map((shard) => shard.details['totals'] as { httpBytes: number; p2pBytes: number; lateSegments: number });
  const sum = (pick: (total: (typeof totals)[number]) => number) => totals.reduce((all, total) => all + pick(total), 0);
  assert.equal(metric(merged, 'late_segments'), sum((total) => total.lateSegments));
  assert.ok(Math.abs(metric(merged, 'offload')! - sum((total) => total.p2pBytes) / sum((total) => total.httpBytes + total.p2pBytes)) < 1e-9);
  // The origin's counters for the whole run: the merge takes them once, not once per shard.
  const originEgress = merged.details['originEgress'] as { kinds: { segment: { requests: number } } };
  const counted = after - before;
  assert.ok(Math.abs(originEgress.kinds.segment.requests - counted) <= 0.1 * counted, `merged ${originEgress.kinds.segment.requests} vs the origin's ${counted}`);
  const watched = (merged.details['renditions'] as Array<{ segmentsWatched: number }>)[0]!.segmentsWatched;
  assert.ok(Math.abs(metric(merged, 'fetches_per_segment')! - counted / watched) <= 0.1 * (counted / watched));
  assert.deepEqual(merged.shards?.map((shard) => shard.index), [0, 1, 2]);
  assert.equal(merged.verdict?.passed, true);

  // Shards that cannot be one run's are refused, saying why.
  const partial = await runCli(['merge', outs[0]!, outs[1]!]);
  assert.equal(partial.code, 2);
  assert.match(partial.stderr, /shard\(s\) 2\/3 missing/);
  const twice = await runCli(['merge', outs[0]!, outs[0]!, outs[1]!]);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /shard 0\/3 given twice/);
});

test('a shard refuses a start already past, and the options it cannot share', async () => {
  const past = await runCli(['event', '--shard', '0/2', '--start-at', new Date(Date.now() - 60_000).toISOString()]);
  assert.equal(past.code, 2);
  assert.match(past.stderr, /--start-at is \d+(\.\d)? s past/);
  for (const [args, message] of [
    [['--shard', '3/3'], /--shard.*expected <i>\/<n>/],
    [['--shard', '0/2', '--compare', 'http-only'], /--compare http-only runs a second pass/],
    [['--start-at', '2026-12-06 21:00'], /--start-at.*ISO 8601 time with its zone/],
  ] as const) {
    const run = await runCli(['event', ...args]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
  }
});
