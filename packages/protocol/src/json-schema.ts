/**
 * How the schemas here become validators: one Ajv setup and one JSON parse, and
 * TypeBox builders that emit exactly the JSON Schema the validators had before TypeBox:
 * `Type.Literal` adds `type` and `Type.Union` becomes `anyOf`, so Ajv would name a different first
 * error ("must be string" instead of "must be equal to constant"; three errors for a nullable
 * number, the first naming one type), and the failure reasons clients read would change.
 */
import { Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';

export const constant = <const T extends string | number>(value: T) => Type.Unsafe<T>({ const: value });

export const oneOf = <const T extends string>(values: readonly T[]) => Type.Unsafe<T>({ enum: values });

type JsonType = { number: number; integer: number; string: string };

export const nullable = <K extends keyof JsonType>(type: K, options: { minimum?: number; maximum?: number; pattern?: string } = {}) =>
  Type.Unsafe<JsonType[K] | null>({ type: [type, 'null'], ...options });

/** The one Ajv setup for every schema here: strict, first error only (a refusal names one field). */
export function schemaCompiler(): Ajv {
  return new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
}

/** A body's JSON, or `undefined` when the text is not JSON. */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}
