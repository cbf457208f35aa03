// `npm run bench -w loadtest`: the event scenario over a matrix of audience sizes and networks,
// each run against a fresh tracker and origin started here, printed as one Markdown table with
// the HTTP-only control measured in the same run (--compare http-only). With --runs > 1 every
// number is "min / median" over the runs.
//
//   node --conditions=swarmcast-source --import tsx loadtest/bench/event-scale.ts [--viewers 4,8,16,32] [--networks lan,residential]
//     [--coordination on] [--latency 12] [--duration 60] [--ramp 10] [--runs 1] [--churn 0]
//     [--control on|off] [--out table.md]
//
// It opens WebRTC connections and builds test hosts: it runs itself inside a loopback-only network
// namespace when it can (root, unshare), and refuses otherwise.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LoadtestResult } from '../src/result.ts';
import { percentiles, round } from '../src/samples.ts';
import { inLoopbackNamespace, runEvent, scriptArgs } from './event-runs.ts';

await inLoopbackNamespace(fileURLToPath(import.meta.url), 'event-scale');

const { values } = parseArgs({
  args: scriptArgs(),
  options: {
    viewers: { type: 'string', default: '4,8,16,32' },
    networks: { type: 'string', default: 'lan,residential' },
    coordination: { type: 'string', default: 'on' },
    latency: { type: 'string', default: '12' },
    duration: { type: 'string', default: '60' },
    ramp: { type: 'string', default: '10' },
    runs: { type: 'string', default: '1' },
    churn: { type: 'string', default: '0' },
    control: { type: 'string', default: 'on' },
    out: { type: 'string' },
  },
});

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
const dir = mkdtempSync(join(tmpdir(), 'event-scale-'));

function runOnce(viewers: number, network: string, coordination: string, run: number): Promise<LoadtestResult> {
  const args = ['--viewers', String(viewers), '--network', network, '--coordination', coordination, '--live-latency', values.latency,
    '--duration', values.duration, '--ramp', values.ramp, '--churn', values.churn, '--seed', String(run + 1),
    ...(values.control === 'on' ? ['--compare', 'http-only'] : [])];
  return runEvent(args, join(dir, `${viewers}-${network}-${coordination}-${run}.json`), Number(values.duration));
}

const value = (result: LoadtestResult, label: string) => {
  const found = result.figures.find((f) => f.label === label);
  return found === undefined ? NaN : Number(found.value);
};
const text = (result: LoadtestResult, label: string) => String(result.figures.find((f) => f.label === label)?.value ?? '');
/** "min / median" over the runs (one number for one run). */
const cell = (results: LoadtestResult[], pick: (r: LoadtestResult) => number, digits = 1) => {
  const p = percentiles(results.map(pick).filter(Number.isFinite));
  if (p.count === 0) return '–';
  return p.count === 1 ? `${round(p.min, digits)}` : `${round(p.min, digits)} / ${round(p.p50, digits)}`;
};

const header = [
  `Event scale: ${values.duration} s, ramp ${values.ramp} s, live latency ${values.latency} s, 240p, churn ${values.churn}/min, ${values.runs} run(s) each (min / median); ${cpus().length} cores, load average before ${loadavg()[0]!.toFixed(1)}`,
  '',
  '| viewers | network | coordination | offload % | fetches / segment | after the ramp | by reason (per segment, first run) | late segments | stall s | startup p50 s | latency p50 s | HTTP-only: fetches / segment | HTTP-only: late | HTTP-only: stall s | HTTP-only: startup p50 s |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];
process.stdout.write(`${header.join('\n')}\n`);
const rows: string[] = [];
for (const network of list(values.networks)) {
  for (const coordination of list(values.coordination)) {
    for (const viewers of list(values.viewers).map(Number)) {
      const results: LoadtestResult[] = [];
      for (let run = 0; run < Number(values.runs); run++) results.push(await runOnce(viewers, network, coordination, run));
      const row = `| ${viewers} | ${network} | ${coordination} | ${cell(results, (r) => value(r, 'offload'))} | ${cell(results, (r) => value(r, 'origin fetches per segment'), 2)} | ${cell(results, (r) => value(r, 'origin fetches per segment after the ramp'), 2)} | ${text(results[0]!, 'fetches per segment by reason')} | ${cell(results, (r) => value(r, 'late segments'), 0)} | ${cell(results, (r) => value(r, 'stall time'))} | ${cell(results, (r) => value(r, 'startup p50'))} | ${cell(results, (r) => value(r, 'live latency p50'))} | ${cell(results, (r) => value(r, 'HTTP-only fetches per segment'), 2)} | ${cell(results, (r) => value(r, 'HTTP-only late segments'), 0)} | ${cell(results, (r) => value(r, 'HTTP-only stall time'))} | ${cell(results, (r) => value(r, 'HTTP-only startup p50'))} |`;
      rows.push(row);
      process.stdout.write(`${row}\n`);
    }
  }
}
if (values.out) writeFileSync(values.out, `${[...header, ...rows].join('\n')}\n`);
process.stdout.write(`JSON results: ${dir}\n`);
