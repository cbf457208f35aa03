// What every scenario shares around its own loop: refuse off-machine targets, bound the run, show
// progress, then write the JSON result and HTML report and print the summary — also after Ctrl-C,
// with what was measured until then.
import { assertLoopbackTargets } from './loopback-guard.ts';
import { startProgress, type Progress } from './progress.ts';
import { finishRun, type OutputOptions } from './report/run-outputs.ts';
import { formatSummary } from './report/summary-table.ts';
import { RESULT_SCHEMA_VERSION, type LoadtestResult, type ScenarioOutcome } from './result.ts';
import { round } from './samples.ts';
import { RunBudget } from './run-budget.ts';

export interface CommonOptions extends OutputOptions {
  maxDuration: number;
  allowRemote: boolean;
}

export interface ScenarioRun {
  scenario: LoadtestResult['scenario'];
  /** Every URL the scenario will send traffic to. */
  targets: string[];
  parameters: Record<string, unknown>;
  /** Seconds the scenario plans to run (for the progress bar). */
  plannedSec: number;
  run(budget: RunBudget, progress: Progress): Promise<ScenarioOutcome>;
}

/** Exit code of an interrupted run (128 + SIGINT), after its partial report is written. */
export const EXIT_INTERRUPTED = 130;

export async function runScenario(common: CommonOptions, scenario: ScenarioRun): Promise<number> {
  await assertLoopbackTargets(scenario.targets, common.allowRemote);
  const budget = new RunBudget(common.maxDuration);
  const progress = startProgress(scenario.scenario, scenario.plannedSec);
  let outcome: ScenarioOutcome;
  try {
    outcome = await scenario.run(budget, progress);
  } finally {
    progress.stop();
    budget.dispose();
  }
  const result: LoadtestResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    scenario: scenario.scenario,
    startedAt: new Date(budget.startedAt).toISOString(),
    durationSec: round(budget.elapsedSec()),
    stoppedEarly: budget.stopReason,
    targets: scenario.targets,
    parameters: scenario.parameters,
    ...outcome,
  };
  const code = finishRun(result, common, formatSummary(result));
  return budget.stopReason?.startsWith('interrupted') ? EXIT_INTERRUPTED : code;
}
