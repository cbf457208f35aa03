// The terminal summary: one row per figure, value right-aligned, with what it means.
import type { LoadtestResult } from '../result.ts';

export function formatValue(value: number | string, unit?: string): string {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? value.toLocaleString('en-US') : 'n/a') : value;
  return unit ? `${text} ${unit}` : text;
}

export function formatSummary(result: LoadtestResult): string {
  const rows = result.figures.map((figure) => [figure.label, formatValue(figure.value, figure.unit), figure.meaning]);
  const labelWidth = Math.max(...rows.map((row) => row[0]!.length));
  const valueWidth = Math.max(...rows.map((row) => row[1]!.length));
  const head = `${result.scenario} → ${result.targets.join(', ')}: ${result.durationSec} s` +
    (result.stoppedEarly ? ` (partial: ${result.stoppedEarly})` : '');
  return [head, ...rows.map(([label, value, meaning]) => `  ${label!.padEnd(labelWidth)}  ${value!.padStart(valueWidth)}  ${meaning}`)].join('\n');
}
