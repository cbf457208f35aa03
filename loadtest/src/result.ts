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

export interface ScenarioOutcome {
  figures: Figure[];
  charts: Chart[];
  /** Everything else a scenario measured, kept in the JSON only. */
  details: Record<string, unknown>;
}

export interface LoadtestResult extends ScenarioOutcome {
  scenario: 'origin' | 'tracker' | 'event' | 'simulate';
  startedAt: string;
  durationSec: number;
  /** Why the run ended before its planned duration, if it did (Ctrl-C, the --max-duration cap). */
  stoppedEarly: string | null;
  targets: string[];
  parameters: Record<string, unknown>;
}
