/**
 * Parsers for settings: each turns a variable's text into a typed value or throws `InvalidValue`
 * saying what it expected, which the loader words into a `ConfigError` naming the variable.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidValue } from './settings.ts';

/** Any text, as given. */
export const text = (raw: string): string => raw;

/** Decimal digits only: `1e3`, `0x10` or `8.0` are refused rather than guessed at. */
export function integer(min = 1, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) throw new InvalidValue(`an integer from ${min} to ${max}`);
    return value;
  };
}

/** A finite decimal number, at least `min`. */
export function decimal(min: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < min) throw new InvalidValue(`a number ≥ ${min}`);
    return value;
  };
}

/** `1`, `true`, `yes` or `0`, `false`, `no`, in any case. */
export function flag(raw: string): boolean {
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new InvalidValue('true or false');
}

/** One of a fixed set of words. */
export function oneOf<const T extends string>(values: readonly T[]): (raw: string) => T {
  const expected = values.length === 2 ? values.join(' or ') : `one of ${values.join(', ')}`;
  return (raw) => {
    if (!(values as readonly string[]).includes(raw)) throw new InvalidValue(expected);
    return raw as T;
  };
}

/** Comma-separated entries, blanks around them dropped, at least one; each through `entry`, which returns undefined to refuse it. */
export function list<T = string>(what: string, entry: (item: string) => T | undefined = (item) => item as T): (raw: string) => T[] {
  return (raw) => {
    const items = raw.split(',').map((item) => item.trim()).filter(Boolean);
    const values = items.map(entry);
    if (items.length === 0 || values.some((value) => value === undefined)) throw new InvalidValue(`a comma list of ${what}`);
    return values as T[];
  };
}

/** A browser `Origin` value: scheme, host and optional port, nothing else. */
export const webOrigin = (item: string): string | undefined => (/^https?:\/\/[^/\s]+$/.test(item) ? item : undefined);

/** A URL with one of these schemes (`redis:`, `rediss:`). */
export function url(schemes: readonly string[]): (raw: string) => string {
  const expected = `a ${schemes.map((scheme) => `${scheme}//`).join(' or ')} URL`;
  return (raw) => {
    if (!URL.canParse(raw) || !schemes.includes(new URL(raw).protocol)) throw new InvalidValue(expected);
    return raw;
  };
}

/** A file this process can read now (a certificate, a key): found at start, not at the first connection. */
export function readableFile(raw: string): string {
  try {
    accessSync(raw, constants.R_OK);
  } catch {
    throw new InvalidValue('a readable file');
  }
  return raw;
}

/** A file system path, made absolute against the working directory. */
export const path = (raw: string): string => resolve(raw);
