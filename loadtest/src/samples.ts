// Latency samples and per-second buckets: what every scenario's percentiles and charts come from.

export interface Percentiles {
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
}

/** Nearest-rank percentiles; NaN for no samples. */
export function percentiles(samples: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const rank = (q: number) => (sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number));
  return { min: sorted.length === 0 ? NaN : (sorted[0] as number), p50: rank(0.5), p90: rank(0.9), p95: rank(0.95), p99: rank(0.99), max: rank(1), count: sorted.length };
}

export const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

/** Rounded for JSON and tables: figures are read by people, not diffed to the last bit. */
export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
