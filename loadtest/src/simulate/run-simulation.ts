// `swarmcast-loadtest simulate`: runs the model with a progress bar, prints the table and writes
// the JSON result. No target, no traffic: nothing for the loopback guard or the run budget to bound.
import { writeFileSync } from 'node:fs';
import { startProgress, type Progress } from '../progress.ts';
import { renderHtmlReport } from '../report/html-report.ts';
import { simulateEvent, type SimulationOptions } from './event-simulation.ts';
import { simulationReport } from './simulation-report.ts';
import { formatSimulation } from './simulation-table.ts';

export async function runSimulation(options: SimulationOptions, files: { out?: string; report?: string }): Promise<number> {
  const { out, report } = files;
  const startedAt = new Date().toISOString();
  // The bar's total (simulated seconds over every cell) is known once the cells are.
  const bar: { progress?: Progress } = {};
  const result = await simulateEvent(options, (doneSec, totalSec, status) => {
    bar.progress ??= startProgress('simulate', totalSec);
    bar.progress.update(doneSec, status);
  }).finally(() => bar.progress?.stop());
  if (out) writeFileSync(out, `${JSON.stringify({ scenario: 'simulate', parameters: options, ...result }, null, 2)}\n`);
  process.stdout.write(`${formatSimulation(result, options.pricePerGb)}\n`);
  if (out) process.stdout.write(`JSON result: ${out}\n`);
  if (report) {
    writeFileSync(report, renderHtmlReport(simulationReport(result, options, startedAt)));
    process.stdout.write(`HTML report: ${report}\n`);
  }
  return 0;
}
