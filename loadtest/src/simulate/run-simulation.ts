// `swarmcast-loadtest simulate`: runs the model with a progress bar, prints the table and writes
// the JSON result. No target, no traffic: nothing for the loopback guard or the run budget to bound.
import { startProgress, type Progress } from '../progress.ts';
import { finishRun, type OutputOptions } from '../report/run-outputs.ts';
import { simulateEvent, type SimulationOptions } from './event-simulation.ts';
import { simulationReport } from './simulation-report.ts';
import { formatSimulation } from './simulation-table.ts';

export async function runSimulation(options: SimulationOptions, outputs: OutputOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  // The bar's total (simulated seconds over every cell) is known once the cells are.
  const bar: { progress?: Progress } = {};
  const result = await simulateEvent(options, (doneSec, totalSec, status) => {
    bar.progress ??= startProgress('simulate', totalSec);
    bar.progress.update(doneSec, status);
  }).finally(() => bar.progress?.stop());
  return finishRun(simulationReport(result, options, startedAt), outputs, formatSimulation(result, options.pricePerGb));
}
