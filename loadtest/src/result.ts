// The shape every scenario hands back: what the JSON result holds, and all the terminal table and
// the HTML report draw from, so that the three scenarios need no reporting code of their own.

/** One headline number, with what it means so the reader of a report needs no manual. */
export interface Figure {
  label: string;
  value: number | string;
  unit?: string;
  meaning: string;
}

/** A time series; x is seconds since the run started (or an index for bar charts). */
export interface Series {
  name: string;
  points: Array<[x: number, y: number]>;
}

export interface Chart {
  title: string;
  /** Unit of the y axis. */
  unit: string;
  kind: 'line' | 'bar';
  series: Series[];
  /** Bar charts: one label per bar. */
  labels?: string[];
}

/**
 * A figure a pipeline reads and gates on (`--threshold`): always a number, in a named unit, under a
 * snake_case name that stays the same across releases. Prose belongs in `description` only.
 * `tags` tell one part of the run from another (`rendition`, `kind` of viewer, `shard`); a
 * metric without tags is the whole run's.
 */
export interface Metric {
  name: string;
  value: number;
  /** One of METRIC_UNITS. */
  unit: MetricUnit;
  description: string;
  tags?: Record<string, string>;
}

/** ratio: a share in [0, 1] (a rule may say `90%`); s: seconds (a rule may say `300ms`). */
export const METRIC_UNITS = ['count', 'ratio', 's', '1/s', 'bytes', 'bytes/s', 'fetches/segment', 'USD', 'kbit/s', 'Gbit/s'] as const;
export type MetricUnit = (typeof METRIC_UNITS)[number];

/** A metric, or nothing when the run could not measure it (no samples): a threshold on it then fails as missing. */
export function metric(name: string, value: number, unit: MetricUnit, description: string, tags?: Record<string, string>): Metric[] {
  return Number.isFinite(value) ? [{ name, value, unit, description, ...(tags ? { tags } : {}) }] : [];
}

export interface ScenarioOutcome {
  /** The machine-readable figures (see Metric). */
  metrics: Metric[];
  /** The same run for a reader: labels, values and what they mean (terminal table, HTML report). */
  figures: Figure[];
  charts: Chart[];
  /** Everything else a scenario measured, kept in the JSON only. */
  details: Record<string, unknown>;
}

/** Bumped when a metric's name, unit or meaning changes, or a field of the result does. */
export const RESULT_SCHEMA_VERSION = 1;

/** How the run fared against its `--threshold` rules (absent without rules). */
export interface Verdict {
  passed: boolean;
  thresholds: Array<{ rule: string; passed: boolean; actual: number | null; reason?: string }>;
}

export interface LoadtestResult extends ScenarioOutcome {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  verdict?: Verdict;
  /** A merge's: each shard's own metrics, in shard order. */
  shards?: Array<{ index: number; count: number; startedAt: string; metrics: Metric[] }>;
  scenario: 'origin' | 'tracker' | 'event' | 'simulate';
  startedAt: string;
  durationSec: number;
  /** Why the run ended before its planned duration, if it did (Ctrl-C, the --max-duration cap). */
  stoppedEarly: string | null;
  targets: string[];
  parameters: Record<string, unknown>;
}
