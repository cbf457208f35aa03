// `npm run bench:calibrate -w loadtest`: the simulator beside real rehearsals of the same
// scenarios. Each scenario is rehearsed --runs times (seeds 1, 2, …: real p2p-media-loader viewers,
// real WebRTC, fresh tracker and origin) and simulated with the same seeds from each run's own
// parameters (simulate/calibration.ts); one Markdown row per scenario gives min / median / max of
// both, and whether the medians agree by the issue's bar.
//
//   node --conditions=swarmcast-source --import tsx loadtest/bench/calibrate.ts [--runs 3]
//     [--only 8-lan,16-residential] [--duration 60] [--ramp 10] [--out table.md] [--from <dir>]
//
// --from <dir> simulates the rehearsals a previous run saved there (its "JSON results" folder)
// instead of running them again.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { agreement, AGREEMENT, rehearsalFigures, simulatedFigures, simulationOf, type Comparable } from '../src/simulate/calibration.ts';
import { simulateEvent } from '../src/simulate/event-simulation.ts';
import { percentiles, round } from '../src/samples.ts';
import type { LoadtestResult } from '../src/result.ts';
import { inLoopbackNamespace, runEvent, scriptArgs } from './event-runs.ts';

await inLoopbackNamespace(fileURLToPath(import.meta.url), 'calibrate');

const { values } = parseArgs({
  args: scriptArgs(),
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    duration: { type: 'string', default: '60' },
    ramp: { type: 'string', default: '10' },
    out: { type: 'string' },
    from: { type: 'string' },
  },
});

interface Scenario {
  name: string;
  args: string[];
}

/** The issue's matrix: 8/16/32/48 viewers, lan and residential, with churn and with unreachable viewers. */
const SCENARIOS: Scenario[] = [
  { name: '8-lan', args: ['--viewers', '8'] },
  { name: '16-lan', args: ['--viewers', '16'] },
  { name: '32-lan', args: ['--viewers', '32'] },
  { name: '48-lan', args: ['--viewers', '48'] },
  { name: '32-lan-churn', args: ['--viewers', '32', '--churn', '10'] },
  { name: '16-residential', args: ['--viewers', '16', '--network', 'residential'] },
  { name: '32-residential', args: ['--viewers', '32', '--network', 'residential'] },
  { name: '16-residential-unreachable', args: ['--viewers', '16', '--network', 'residential', '--unreachable', '0.125'] },
  { name: '48-residential-shares', args: ['--viewers', '48', '--network', 'residential', '--unreachable', '0.05', '--cellular', '0.1', '--churn', '0.5'] },
];

const only = values.only?.split(',');
const chosen = only ? SCENARIOS.filter((scenario) => only.includes(scenario.name)) : SCENARIOS;
if (chosen.length === 0) {
  process.stderr.write(`calibrate: --only names none of ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const runs = Number(values.runs);
const dir = values.from ?? mkdtempSync(join(tmpdir(), 'calibrate-'));

/** "min / median / max" (one number for one run). */
const spread = (numbers: number[], digits: number) => {
  const p = percentiles(numbers);
  return p.count === 1 ? `${round(p.min, digits)}` : `${round(p.min, digits)} / ${round(p.p50, digits)} / ${round(p.max, digits)}`;
};
const median = (numbers: number[]) => percentiles(numbers).p50;
const medianOf = (figures: Comparable[]): Comparable => ({
  fetchesPerSegment: median(figures.map((f) => f.fetchesPerSegment)),
  offloadPct: median(figures.map((f) => f.offloadPct)),
  lateSegments: median(figures.map((f) => f.lateSegments)),
});
const mark = (ok: boolean) => (ok ? 'yes' : '**no**');

const header = [
  `Calibration: ${values.duration} s, ramp ${values.ramp} s, the origin's first rendition, SDK defaults (coordination on); ${runs} run(s) per scenario, seeds 1..${runs}, min / median / max; ${cpus().length} cores, load average before ${loadavg()[0]!.toFixed(1)}. Agreement of the medians: fetches per segment within ${AGREEMENT.fetchesShare * 100} % or ${AGREEMENT.fetchesAbsolute}, offload within ${AGREEMENT.offloadPoints} points, late segments 0 on both or neither.`,
  '',
  '| scenario | fetches / segment: real | simulated | offload %: real | simulated | late segments: real | simulated | agree (fetches · offload · late) |',
  '|---|---|---|---|---|---|---|---|',
];
process.stdout.write(`${header.join('\n')}\n`);
const rows: string[] = [];
for (const scenario of chosen) {
  const real: Comparable[] = [];
  const simulated: Comparable[] = [];
  for (let run = 1; run <= runs; run++) {
    const args = [...scenario.args, '--duration', values.duration, '--ramp', values.ramp, '--seed', String(run)];
    const saved = join(dir, `${scenario.name}-${run}.json`);
    if (values.from && !existsSync(saved)) continue;
    let rehearsal: LoadtestResult;
    try {
      rehearsal = values.from ? (JSON.parse(readFileSync(saved, 'utf8')) as LoadtestResult) : await runEvent(args, saved, Number(values.duration));
    } catch (error) {
      // One failed run leaves its scenario a run short, said in the row, not the matrix unfinished.
      process.stderr.write(`${scenario.name} run ${run}: ${error instanceof Error ? error.message.slice(0, 500) : String(error)}\n`);
      continue;
    }
    real.push(rehearsalFigures(rehearsal));
    simulated.push(simulatedFigures(await simulateEvent(simulationOf(rehearsal, run), () => undefined)));
  }
  if (real.length === 0) continue;
  const agreed = agreement(medianOf(real), medianOf(simulated));
  const row = `| ${scenario.name}${real.length < runs ? ` (${real.length} of ${runs} runs)` : ''} | ${spread(real.map((f) => f.fetchesPerSegment), 2)} | ${spread(simulated.map((f) => f.fetchesPerSegment), 2)} | ${spread(real.map((f) => f.offloadPct), 1)} | ${spread(simulated.map((f) => f.offloadPct), 1)} | ${spread(real.map((f) => f.lateSegments), 0)} | ${spread(simulated.map((f) => f.lateSegments), 0)} | ${mark(agreed.fetches)} · ${mark(agreed.offload)} · ${mark(agreed.late)} |`;
  rows.push(row);
  process.stdout.write(`${row}\n`);
}
if (values.out) writeFileSync(values.out, `${[...header, ...rows].join('\n')}\n`);
process.stdout.write(`JSON results: ${dir}\n`);
