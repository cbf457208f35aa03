/**
 * Checks a value against a TypeBox schema in the browser, where TypeBox's own validator (~60 KB)
 * and Ajv do not fit the player's bundle. It reads the few JSON Schema keywords the browser-side
 * answers use (`type`, `properties`, `required`, `minimum`, `maximum`) and throws on any other, so
 * a schema that grows a keyword cannot be checked more loosely than Ajv checks it on the server.
 */
import type { Static, TSchema } from '@sinclair/typebox';

type Schema = { [keyword: string]: unknown };

const KNOWN = new Set(['type', 'properties', 'required', 'minimum', 'maximum']);

const typeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;

function conformsTo(schema: Schema, value: unknown): boolean {
  for (const keyword of Object.keys(schema)) if (!KNOWN.has(keyword)) throw new Error(`schema-check: keyword "${keyword}" is not supported`);
  const actual = typeOf(value);
  const types = [schema['type']].flat();
  // JSON Schema's "number" includes integers.
  if (schema['type'] !== undefined && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return false;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return false;
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) return false;
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) return false;
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of (schema['required'] as string[] | undefined) ?? []) if (!(name in object)) return false;
    for (const [name, property] of Object.entries((schema['properties'] as Record<string, Schema> | undefined) ?? {})) {
      if (name in object && !conformsTo(property, object[name])) return false;
    }
  }
  return true;
}

/** Whether `value` is what `schema` describes (its TypeBox `Static` type). */
export function conforms<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  return conformsTo(schema as Schema, value);
}
