/**
 * The telemetry beat the player SDK posts to the tracker's `/telemetry`: the single source of truth
 * for its shape, as a TypeBox schema that gives the `Beat` type and the collector's validator.
 * Counters are cumulative for the session (since `createPlayer`), so the collector turns them into
 * exact deltas and a lost beat loses nothing: the next one carries it.
 * Nothing identifies a person: `sid` is random per player session, only for telling concurrent
 * viewers apart and de-duplicating retries.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { constant, nullable, parseJson, schemaCompiler } from './json-schema.ts';
import { MAX_BEATS_PER_BATCH, MAX_STREAM_LENGTH } from './telemetry.ts';

/** Larger than any real session's counter (2^53 bytes ≈ 9 PB), so the arithmetic stays exact in doubles and Lua. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

const counter = Type.Integer({ minimum: 0, maximum: MAX_COUNTER });
const nullableMs = nullable('integer', { minimum: 0, maximum: 24 * 3600_000 });

export const beatSchema = Type.Object(
  {
    /** Format version. */
    v: constant(1),
    /** Random per player session (not per user): 8–64 characters of [A-Za-z0-9_-]. */
    sid: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }),
    /** Increases with every beat of a session; a beat not newer than the last one applied is ignored. */
    seq: Type.Integer({ minimum: 0, maximum: MAX_COUNTER }),
    /** Stream name: the SDK's swarm id, or the playlist URL without its query. */
    stream: Type.String({ minLength: 1, maxLength: MAX_STREAM_LENGTH, pattern: '^[^\\u0000-\\u001f]+$' }),
    /** Cumulative segment bytes from the origin. */
    http: counter,
    /** Cumulative segment bytes from peers. */
    p2p: counter,
    /** Cumulative segment bytes sent to peers. */
    up: counter,
    /** Peers connected now. */
    peers: Type.Integer({ minimum: 0, maximum: 1000 }),
    /** Cumulative stalls after playback started. */
    stalls: counter,
    /** Cumulative milliseconds stalled. */
    stallMs: counter,
    /** Cumulative milliseconds of watching since the first frame: playing or stalled, not paused. */
    watchMs: counter,
    /** Milliseconds from `createPlayer` to the first frame; null until then. */
    startupMs: nullableMs,
    /** Milliseconds behind the live edge now; null for VOD or before playback. */
    latencyMs: nullableMs,
    /** Cumulative player errors (fatal or not). */
    errors: counter,
    /** Rendition playing now (`360p`, or `L2` for a level without a height); null before the first. */
    rendition: nullable('string', { pattern: '^[A-Za-z0-9_.-]{1,16}$' }),
    /** The session ended (player destroyed or page hidden for good): it stops counting as a viewer at once. */
    end: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type Beat = Static<typeof beatSchema>;

export const beatBatchSchema = Type.Object(
  { beats: Type.Array(beatSchema, { minItems: 1, maxItems: MAX_BEATS_PER_BATCH }) },
  { additionalProperties: false },
);
export type BeatBatch = Static<typeof beatBatchSchema>;

/**
 * Unicode bidirectional controls (LRM/RLM, ALM, embeddings and overrides, isolates): in a stream
 * name they can make the dashboard show one stream's name as another's ("evil" spelled backwards
 * after U+202E), so they are stripped before a beat is counted.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export type BatchParse = { ok: true; batch: BeatBatch } | { ok: false; code: 'invalid_json' | 'invalid_beat'; reason: string };

function describe(errors: ErrorObject[] | null | undefined): string {
  const error = errors?.[0];
  if (!error) return 'invalid beat';
  const field = error.instancePath.slice(1).replaceAll('/', '.') || 'body';
  if (error.keyword === 'required') return `${field}.${String(error.params['missingProperty'])} is required`;
  if (error.keyword === 'additionalProperties') return `${field}.${String(error.params['additionalProperty'])} is not a beat field`;
  return `${field} ${error.message ?? 'is invalid'}`;
}

/** Compiles the batch validator once; the parser takes the raw body text. */
export function createBatchParser(): (text: string) => BatchParse {
  const validate: ValidateFunction<BeatBatch> = schemaCompiler().compile(beatBatchSchema);
  return (text) => {
    const json = parseJson(text);
    if (!json) return { ok: false, code: 'invalid_json', reason: 'body is not valid JSON' };
    const data = json.value;
    if (!validate(data)) return { ok: false, code: 'invalid_beat', reason: `invalid beat batch: ${describe(validate.errors)}` };
    for (const beat of data.beats) {
      beat.stream = beat.stream.replace(BIDI_CONTROLS, '');
      if (beat.stream === '') return { ok: false, code: 'invalid_beat', reason: 'invalid beat batch: beats.stream has no visible characters' };
    }
    return { ok: true, batch: data };
  };
}
