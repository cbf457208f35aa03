// The sharded rehearsal against one stack (issue 24's target): --shards CLI processes, each in a
// network namespace of its own, run their parts of one --viewers audience from an agreed start;
// `merge` reports them as one run, set beside the sum of the shards' own figures and the origin's
// own counters for the whole run.
//
//   node --conditions=swarmcast-source --import tsx loadtest/bench/sharded-event.ts \
//     [--shards 3] [--viewers 48] [--duration 60] [--ramp 10] [--runs 1]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { OriginStats } from '@swarmcast/protocol/stats';
import { TestNetwork } from '../src/network/test-hosts.ts';
import type { LoadtestResult } from '../src/result.ts';
import { round } from '../src/samples.ts';
import { runCliOnHost } from '../test/support/cli-on-host.ts';
import { readResult, runCli, startOrigin, startTracker } from '../test/support/local-stack.ts';
import { inLoopbackNamespace, scriptArgs } from './event-runs.ts';

await inLoopbackNamespace(fileURLToPath(import.meta.url), 'sharded-event');
const { values } = parseArgs({
  args: scriptArgs(),
  options: {
    shards: { type: 'string', default: '3' },
    viewers: { type: 'string', default: '48' },
    duration: { type: 'string', default: '60' },
    ramp: { type: 'string', default: '10' },
    runs: { type: 'string', default: '1' },
  },
});
const shards = Number(values.shards);

const segmentCounts = async (origin: string) => {
  const segment = ((await (await fetch(`${origin}/stats`)).json()) as OriginStats).streams['live/sample']?.kinds.segment;
  return { requests: segment?.requests ?? 0, bytes: segment?.bytes ?? 0 };
};
const metric = (result: LoadtestResult, name: string) => result.metrics.find((m) => m.name === name && m.tags === undefined)?.value ?? NaN;

process.stdout.write(`| run | viewers: merged (Σ shards) | fetches / segment: merged · origin's count | offload %: merged · 1 − origin bytes ÷ bytes played | late segments: merged (Σ shards) | shards' starts spread, s |\n|---|---|---|---|---|---|\n`);
for (let run = 1; run <= Number(values.runs); run++) {
  const [tracker, origin] = await Promise.all([startTracker(), startOrigin()]);
  const network = await TestNetwork.create();
  try {
    await network.exposeLoopbackPorts([origin.url, tracker.url].map((url) => Number(new URL(url).port)));
    const viaGateway = (url: string) => url.replace('127.0.0.1', network.gateway);
    const dir = mkdtempSync(join(tmpdir(), 'sharded-event-'));
    const outs = [...Array(shards).keys()].map((i) => join(dir, `shard-${i}.json`));
    const before = await segmentCounts(origin.url);
    const startAt = new Date(Date.now() + 30_000).toISOString();
    const runs = await Promise.all(outs.map((out, i) => runCliOnHost(network, [
      'event', '--origin', viaGateway(origin.url), '--tracker', viaGateway(tracker.url), '--allow-remote', '--seed', String(run),
      '--viewers', values.viewers, '--duration', values.duration, '--ramp', values.ramp, '--shard', `${i}/${shards}`, '--start-at', startAt, '--out', out,
    ])));
    const failed = runs.findIndex((r) => r.code !== 0);
    if (failed >= 0) throw new Error(`shard ${failed}: ${runs[failed]!.stderr}`);
    const after = await segmentCounts(origin.url);
    const mergedOut = join(dir, 'merged.json');
    const merge = await runCli(['merge', ...outs, '--out', mergedOut]);
    if (merge.code !== 0) throw new Error(`merge: ${merge.stderr}`);
    const merged = readResult(mergedOut);
    const parts = outs.map(readResult);
    const sum = (name: string) => parts.reduce((all, part) => all + metric(part, name), 0);
    const watched = (merged.details['renditions'] as Array<{ segmentsWatched: number }>).reduce((all, r) => all + r.segmentsWatched, 0);
    const totals = merged.details['totals'] as { segmentBytes: number };
    // Offload from the origin's side: 1 − the segment bytes it sent ÷ the bytes of the segments the viewers played.
    const originOffload = 100 * (1 - (after.bytes - before.bytes) / totals.segmentBytes);
    const starts = (merged.details['viewers'] as Array<{ viewer: string; joinedAtSec: number }>).map((v) => v.joinedAtSec - ((Number(v.viewer.slice(7)) - 1) * Number(values.ramp)) / Number(values.viewers));
    process.stdout.write(
      `| ${run} | ${metric(merged, 'viewers')} (${sum('viewers')}) | ${round(metric(merged, 'fetches_per_segment'), 2)} · ${round((after.requests - before.requests) / watched, 2)} | ` +
        `${round(100 * metric(merged, 'offload'))} · ${round(originOffload)} | ${metric(merged, 'late_segments')} (${sum('late_segments')}) | ${round(Math.max(...starts) - Math.min(...starts), 2)} |\n`,
    );
  } finally {
    await network.close();
    await Promise.all([tracker.close(), origin.close()]);
  }
}
