// Option parsers for commander: a bad value fails at parse time with the option's rule, which the
// CLI turns into exit code 2.
import { InvalidArgumentError } from 'commander';
import { parseRate } from './network/profiles.ts';
import { parseThreshold, type Threshold } from './report/thresholds.ts';

export function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return number;
  };
}

export function seconds(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number < min || number > max) throw new InvalidArgumentError(`expected seconds from ${min} to ${max}`);
    return number;
  };
}

/** A number from 0 to `max`, fractions allowed (e.g. viewers per minute). */
export function nonNegative(max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > max) throw new InvalidArgumentError(`expected a number from 0 to ${max}`);
    return number;
  };
}

/** A share from 0 to 1. */
export function fraction(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1) throw new InvalidArgumentError('expected a fraction from 0 to 1, e.g. 0.25');
  return number;
}

/** A link rate such as `2mbit` or `800kbit`, in kbit/s (network/profiles.ts parses it). */
export function rate(value: string): number {
  try {
    return parseRate(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

export function url(...protocols: string[]): (value: string) => string {
  return (value) => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new InvalidArgumentError(`not a URL`);
    }
    if (!protocols.includes(parsed.protocol)) throw new InvalidArgumentError(`expected a ${protocols.join(' or ')} URL`);
    return value.replace(/\/+$/, '');
  };
}

/** For variadic options: commander hands each value with the list so far. */
export function urlList(...protocols: string[]): (value: string, previous: string[] | undefined) => string[] {
  const one = url(...protocols);
  return (value, previous) => [...(previous ?? []), one(value)];
}

export function oneOf<T extends string>(...choices: T[]): (value: string) => T {
  return (value) => {
    if (!(choices as string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return value as T;
  };
}

/** `240p=1,360p=2,720p=1` → weights by rendition name. */
export function abrMix(value: string): Map<string, number> {
  const mix = new Map<string, number>();
  for (const part of value.split(',')) {
    const [name, weight] = part.split('=');
    const number = Number(weight);
    if (!name || weight === undefined || !Number.isFinite(number) || number < 0) throw new InvalidArgumentError('expected name=weight pairs, e.g. 240p=1,360p=2,720p=1');
    mix.set(name.trim(), number);
  }
  if ([...mix.values()].every((weight) => weight === 0)) throw new InvalidArgumentError('at least one weight must be above 0');
  return mix;
}

/** A bitrate ladder such as `400k,1200k,3m`, in kbit/s. */
export function ladder(value: string): number[] {
  return value.split(',').map((rung) => {
    const match = /^(\d+(?:\.\d+)?)(k|m)$/i.exec(rung.trim());
    const kbit = match ? Math.round(Number(match[1]) * (match[2]!.toLowerCase() === 'm' ? 1000 : 1)) : 0;
    if (kbit < 1) throw new InvalidArgumentError('expected bitrates with k or m, comma-separated, e.g. 400k,1200k,3000k');
    return kbit;
  });
}

/** `1000-3000`: a range of milliseconds, lowest first, at most a minute. */
export function msRange(value: string): [number, number] {
  const match = /^(\d+)-(\d+)$/.exec(value.trim());
  const range: [number, number] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(range[0] <= range[1] && range[1] <= 60_000)) throw new InvalidArgumentError('expected a range of milliseconds, lowest first, at most 60000, e.g. 1000-3000');
  return range;
}

/** A repeatable `--threshold` rule, checked as it is given (a typo fails before the run, not after it). */
export function threshold(value: string, previous: Threshold[] | undefined): Threshold[] {
  try {
    return [...(previous ?? []), parseThreshold(value)];
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

/** `i/n`: shard i (0-based, as Kubernetes' JOB_COMPLETION_INDEX) of n load generators. */
export function shard(value: string): { index: number; count: number } {
  const match = /^(\d{1,4})\/(\d{1,4})$/.exec(value.trim());
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(count >= 1 && index < count)) throw new InvalidArgumentError('expected <i>/<n>, shard i (from 0) of n, e.g. 0/3');
  return { index, count };
}

/** An ISO 8601 instant with its zone (`2026-12-06T21:00:00Z`), as wall-clock ms. */
export function instant(value: string): number {
  const ms = Date.parse(value);
  if (!/T.*(Z|[+-]\d\d:?\d\d)$/.test(value.trim()) || !Number.isFinite(ms)) throw new InvalidArgumentError('expected an ISO 8601 time with its zone, e.g. 2026-12-06T21:00:00Z');
  return ms;
}
