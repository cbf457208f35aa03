// The end of every run (a scenario, a simulation, a merge): judge the thresholds, write the files
// asked for (JSON, HTML, JUnit XML, CSV), print the summary and the verdict, and say how the
// process should exit: 1 when a threshold failed, so a pipeline can gate on the run.
import { writeFileSync } from 'node:fs';
import type { LoadtestResult } from '../result.ts';
import { csvTable } from './csv-table.ts';
import { renderHtmlReport } from './html-report.ts';
import { junitReport } from './junit-report.ts';
import { evaluateThresholds, formatVerdict, type Threshold } from './thresholds.ts';

export interface OutputOptions {
  out?: string;
  report?: string;
  junit?: string;
  csv?: string;
  threshold?: Threshold[];
}

/** A run whose thresholds did not all pass (usage errors are 2, interrupted runs 130). */
export const EXIT_THRESHOLD_FAILED = 1;

/** The table `--csv` writes, per scenario: a list in the result's details. */
const TABLES: Record<LoadtestResult['scenario'], string> = { event: 'viewers', simulate: 'renditions', origin: 'perSecond', tracker: 'timeline' };

/** One level of nesting becomes dotted columns (`uplink.meanKbit`); deeper values stay JSON. */
function flatRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).flatMap(([key, value]) =>
      value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value).map(([inner, v]) => [`${key}.${inner}`, v]) : [[key, value]],
    ),
  );
}

/** The per-viewer table of an event (a row per rendition of a simulation, per second of the other scenarios). */
export function tableRows(result: LoadtestResult): Array<Record<string, unknown>> {
  const rows = result.details[TABLES[result.scenario]];
  return Array.isArray(rows) ? rows.map((row) => flatRow(row as Record<string, unknown>)) : [];
}

/** Writes what `outputs` asks for and prints `summary` and the verdict; returns the exit code. */
export function finishRun(run: LoadtestResult, outputs: OutputOptions, summary: string): number {
  const judged = outputs.threshold && outputs.threshold.length > 0 ? evaluateThresholds(outputs.threshold, run.metrics) : null;
  const result: LoadtestResult = judged
    ? {
        ...run,
        verdict: {
          passed: judged.every((t) => t.passed),
          thresholds: judged.map(({ rule, passed, actual, reason }) => ({ rule, passed, actual, ...(reason === undefined ? {} : { reason }) })),
        },
      }
    : run;
  const written: string[] = [];
  const write = (file: string | undefined, what: string, text: () => string) => {
    if (!file) return;
    writeFileSync(file, text());
    written.push(`${what}: ${file}`);
  };
  write(outputs.out, 'JSON result', () => `${JSON.stringify(result, null, 2)}\n`);
  write(outputs.report, 'HTML report', () => renderHtmlReport(result));
  write(outputs.junit, 'JUnit XML', () => junitReport(judged ?? [], `swarmcast-loadtest ${result.scenario}`, result.startedAt, result.durationSec));
  write(outputs.csv, 'CSV', () => csvTable(tableRows(result)));
  process.stdout.write(`${summary}\n`);
  if (judged) process.stdout.write(`\nThresholds:\n${formatVerdict(judged)}\n`);
  for (const line of written) process.stdout.write(`${line}\n`);
  return result.verdict?.passed === false ? EXIT_THRESHOLD_FAILED : 0;
}
