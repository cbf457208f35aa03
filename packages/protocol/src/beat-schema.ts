/**
 * The telemetry beat the player SDK posts to `/telemetry`: the single source of truth for its
 * shape. Counters are cumulative for the session (since `createPlayer`), so the collector turns
 * them into exact deltas and a lost beat loses nothing: the next one carries it.
 * Nothing identifies a person: `sid` is random per player session, only for telling concurrent
 * viewers apart and de-duplicating retries.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export interface Beat {
  /** Format version. */
  v: 1;
  /** Random per player session (not per user): 8–64 characters of [A-Za-z0-9_-]. */
  sid: string;
  /** Increases with every beat of a session; a beat not newer than the last one applied is ignored. */
  seq: number;
  /** Stream name: the SDK's swarm id, or the playlist URL without its query. */
  stream: string;
  /** Cumulative segment bytes from the origin. */
  http: number;
  /** Cumulative segment bytes from peers. */
  p2p: number;
  /** Cumulative segment bytes sent to peers. */
  up: number;
  /** Peers connected now. */
  peers: number;
  /** Cumulative stalls after playback started. */
  stalls: number;
  /** Cumulative milliseconds stalled. */
  stallMs: number;
  /** Cumulative milliseconds of watching since the first frame: playing or stalled, not paused. */
  watchMs: number;
  /** Milliseconds from `createPlayer` to the first frame; null until then. */
  startupMs: number | null;
  /** Milliseconds behind the live edge now; null for VOD or before playback. */
  latencyMs: number | null;
  /** Cumulative player errors (fatal or not). */
  errors: number;
  /** Rendition playing now (`360p`, or `L2` for a level without a height); null before the first. */
  rendition: string | null;
  /** The session ended (player destroyed or page hidden for good): it stops counting as a viewer at once. */
  end?: boolean;
}

export interface BeatBatch {
  beats: Beat[];
}

/** Beats in one POST: one per player on the page, plus room for a retry. */
export const MAX_BEATS_PER_BATCH = 20;
export const MAX_STREAM_LENGTH = 256;
/** Larger than any real session's counter (2^53 bytes ≈ 9 PB), so the arithmetic stays exact in doubles and Lua. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

const counter = { type: 'integer', minimum: 0, maximum: MAX_COUNTER } as const;
const nullableMs = { type: ['integer', 'null'], minimum: 0, maximum: 24 * 3600_000 } as const;

const beatSchema = {
  type: 'object',
  required: ['v', 'sid', 'seq', 'stream', 'http', 'p2p', 'up', 'peers', 'stalls', 'stallMs', 'watchMs', 'startupMs', 'latencyMs', 'errors', 'rendition'],
  properties: {
    v: { const: 1 },
    sid: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' },
    seq: { type: 'integer', minimum: 0, maximum: MAX_COUNTER },
    stream: { type: 'string', minLength: 1, maxLength: MAX_STREAM_LENGTH, pattern: '^[^\\u0000-\\u001f]+$' },
    http: counter,
    p2p: counter,
    up: counter,
    peers: { type: 'integer', minimum: 0, maximum: 1000 },
    stalls: counter,
    stallMs: counter,
    watchMs: counter,
    startupMs: nullableMs,
    latencyMs: nullableMs,
    errors: counter,
    rendition: { type: ['string', 'null'], pattern: '^[A-Za-z0-9_.-]{1,16}$' },
    end: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

const batchSchema = {
  type: 'object',
  required: ['beats'],
  properties: { beats: { type: 'array', minItems: 1, maxItems: MAX_BEATS_PER_BATCH, items: beatSchema } },
  additionalProperties: false,
} as const;

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
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
  const validate: ValidateFunction<BeatBatch> = ajv.compile(batchSchema);
  return (text) => {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return { ok: false, code: 'invalid_json', reason: 'body is not valid JSON' };
    }
    if (!validate(data)) return { ok: false, code: 'invalid_beat', reason: `invalid beat batch: ${describe(validate.errors)}` };
    for (const beat of data.beats) {
      beat.stream = beat.stream.replace(BIDI_CONTROLS, '');
      if (beat.stream === '') return { ok: false, code: 'invalid_beat', reason: 'invalid beat batch: beats.stream has no visible characters' };
    }
    return { ok: true, batch: data };
  };
}
