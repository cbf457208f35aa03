// `--threshold` rules in the k6 style (`fetches_per_segment<=1.5`, `offload{kind:browser}>=90%`,
// `startup_p95<=3s`) judged against a run's metrics: the verdict a pipeline gates on.
import type { Metric, MetricUnit } from '../result.ts';

// `<=` before `<` and `>=` before `>`: the rule's pattern tries them in this order.
const OPERATORS = {
  '<=': (actual: number, limit: number) => actual <= limit,
  '<': (actual: number, limit: number) => actual < limit,
  '>=': (actual: number, limit: number) => actual >= limit,
  '>': (actual: number, limit: number) => actual > limit,
  '==': (actual: number, limit: number) => actual === limit,
  '!=': (actual: number, limit: number) => actual !== limit,
} as const;
export type ThresholdOperator = keyof typeof OPERATORS;

// A suffix scales the number by a power of ten, applied to its decimal text (`300ms` is read as
// `300e-3`), so that `==` holds for the same value written either way (4.35 × 1000 is not 4350
// in floating point; 4.35e3 is).
const SUFFIXES = {
  '%': { unit: 'ratio', exponent: -2 },
  ms: { unit: 's', exponent: -3 },
  s: { unit: 's', exponent: 0 },
  kB: { unit: 'bytes', exponent: 3 },
  MB: { unit: 'bytes', exponent: 6 },
  GB: { unit: 'bytes', exponent: 9 },
} as const satisfies Record<string, { unit: MetricUnit; exponent: number }>;
export type UnitSuffix = keyof typeof SUFFIXES;

const METRIC_NAME = /^[a-z][a-z0-9_]*$/;
const RULE = new RegExp(
  `^([^{}<>=!\\s]+)(?:\\{([^{}]*)\\})?\\s*(${Object.keys(OPERATORS).join('|')})\\s*(-?(?:\\d+(?:\\.\\d*)?|\\.\\d+))([A-Za-z%]*)$`,
);

export interface Threshold {
  /** The rule as written, for messages. */
  rule: string;
  metric: string;
  /** Pairs the selected metric's tags must include; empty: the whole run's metric (no tags). */
  tags: Record<string, string>;
  op: ThresholdOperator;
  /** In the metric's unit, the suffix applied (`300ms` → 0.3). */
  limit: number;
  suffix: UnitSuffix | null;
}

export interface ThresholdResult {
  rule: string;
  passed: boolean;
  /** The metric's value; null when no metric was judged. */
  actual: number | null;
  metric?: Metric;
  /** Why it failed, present on every failure. */
  reason?: string;
  threshold: Threshold;
}

function ruleError(rule: string, problem: string): Error {
  return new Error(`--threshold "${rule}": ${problem}`);
}

function parseTags(rule: string, text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const [key, value, extra] = pair.split(':').map((part) => part.trim());
    if (!key || !value || extra !== undefined) throw ruleError(rule, `expected tags as {tag:value,tag2:value2}, got "{${text}}"`);
    if (Object.hasOwn(tags, key)) throw ruleError(rule, `tag "${key}" given twice`);
    tags[key] = value;
  }
  return tags;
}

function isSuffix(text: string): text is UnitSuffix {
  return Object.hasOwn(SUFFIXES, text);
}

/** Reads `<metric>[{tag:value,…}]<op><number>[unit]`; throws an Error naming the rule when it is malformed. */
export function parseThreshold(rule: string): Threshold {
  const match = RULE.exec(rule.trim());
  if (!match) {
    throw ruleError(rule, `expected <metric>[{tag:value,…}]<op><number>[unit], op one of ${Object.keys(OPERATORS).join(', ')}`);
  }
  const [, metric = '', tagText, op = '', number = '', suffix = ''] = match;
  if (!METRIC_NAME.test(metric)) throw ruleError(rule, `metric name "${metric}" must match ${METRIC_NAME.source}`);
  if (suffix !== '' && !isSuffix(suffix)) {
    throw ruleError(rule, `unknown unit "${suffix}": expected none, or one of ${Object.keys(SUFFIXES).join(', ')}`);
  }
  return {
    rule,
    metric,
    tags: tagText === undefined ? {} : parseTags(rule, tagText),
    op: op as ThresholdOperator,
    limit: suffix === '' ? Number(number) : Number(`${number}e${SUFFIXES[suffix].exponent}`),
    suffix: suffix === '' ? null : suffix,
  };
}

/** `name{tag:value,…}`, or the bare name for the whole run's metric. */
export function metricLabel(metric: Pick<Metric, 'name' | 'tags'>): string {
  const tags = Object.entries(metric.tags ?? {});
  return tags.length === 0 ? metric.name : `${metric.name}{${tags.map(([key, value]) => `${key}:${value}`).join(',')}}`;
}

function selects(threshold: Threshold, metric: Metric): boolean {
  if (metric.name !== threshold.metric) return false;
  const wanted = Object.entries(threshold.tags);
  if (wanted.length === 0) return Object.keys(metric.tags ?? {}).length === 0;
  return wanted.every(([key, value]) => metric.tags?.[key] === value);
}

function formatNumber(value: number): string {
  // 12 significant digits hide floating-point noise (0.1 + 0.2) but keep a near miss visible.
  return String(Number(value.toPrecision(12)));
}

function formatQuantity(value: number, unit: MetricUnit): string {
  if (unit === 'ratio') return `${formatNumber(value * 100)} %`;
  if (unit === 'count') return formatNumber(value);
  return `${formatNumber(value)} ${unit}`;
}

function missing(threshold: Threshold, metrics: Metric[]): ThresholdResult {
  const variants = metrics.filter((metric) => metric.name === threshold.metric).map(metricLabel);
  const names = [...new Set(metrics.map((metric) => metric.name))];
  let reason: string;
  if (variants.length === 0) reason = `this run has no metric "${threshold.metric}"; it has ${names.join(', ') || 'none'}`;
  else if (Object.keys(threshold.tags).length === 0) reason = `this run has ${threshold.metric} only per part (${variants.join(', ')}): name its tags`;
  else reason = `this run has no ${metricLabel({ name: threshold.metric, tags: threshold.tags })}; it has ${variants.join(', ')}`;
  return { rule: threshold.rule, passed: false, actual: null, reason, threshold };
}

function judge(threshold: Threshold, metric: Metric): ThresholdResult {
  const { rule, suffix } = threshold;
  if (suffix !== null && SUFFIXES[suffix].unit !== metric.unit) {
    const reason = `the unit ${suffix} is for ${SUFFIXES[suffix].unit} metrics, and ${metric.name} is in ${metric.unit}`;
    return { rule, passed: false, actual: metric.value, metric, reason, threshold };
  }
  // Every comparison with NaN is false, so `!=` would pass on a figure nobody measured.
  if (Number.isNaN(metric.value)) {
    return { rule, passed: false, actual: metric.value, metric, reason: `${metricLabel(metric)} has no value (NaN)`, threshold };
  }
  const passed = OPERATORS[threshold.op](metric.value, threshold.limit);
  return { rule, passed, actual: metric.value, metric, ...(passed ? {} : { reason: measurement(threshold, metric) }), threshold };
}

function measurement(threshold: Threshold, metric: Metric): string {
  return `${metricLabel(metric)} = ${formatQuantity(metric.value, metric.unit)} (limit ${threshold.op} ${formatQuantity(threshold.limit, metric.unit)})`;
}

/**
 * Judges each rule against the metrics it selects: by name, and with no tags unless the rule names
 * some, whose pairs the metric's tags must include. A rule may select several metrics (one result
 * each); a rule that selects none fails, listing what the run has.
 */
export function evaluateThresholds(thresholds: Threshold[], metrics: Metric[]): ThresholdResult[] {
  return thresholds.flatMap((threshold) => {
    const selected = metrics.filter((metric) => selects(threshold, metric));
    return selected.length === 0 ? [missing(threshold, metrics)] : selected.map((metric) => judge(threshold, metric));
  });
}

/** The rule, and the metric it judged when the rule selects several (one with more tags than it names). */
export function resultName(result: ThresholdResult): string {
  const { metric, threshold } = result;
  const extraTags = metric !== undefined && Object.keys(metric.tags ?? {}).length > Object.keys(threshold.tags).length;
  return extraTags ? `${result.rule} [${metricLabel(metric)}]` : result.rule;
}

/** One line per result, ✓ or ✗, what was measured against the limit; then `N of M thresholds passed`. */
export function formatVerdict(results: ThresholdResult[]): string {
  const lines = results.map((result) => {
    const detail = result.reason ?? measurement(result.threshold, result.metric!);
    return `${result.passed ? '✓' : '✗'} ${resultName(result)}: ${detail}`;
  });
  const passed = results.filter((result) => result.passed).length;
  return [...lines, `${passed} of ${results.length} thresholds passed`].join('\n');
}
