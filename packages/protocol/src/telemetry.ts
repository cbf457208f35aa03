/**
 * The telemetry beat's limits and cadence, as plain constants: the player SDK imports them without
 * the schema (`beat-schema.ts`, which needs TypeBox and Ajv at run time).
 */

/** Beats in one POST: one per player on the page, plus room for a retry. */
export const MAX_BEATS_PER_BATCH = 20;
/** Longest stream name in a beat. */
export const MAX_STREAM_LENGTH = 256;

/** The player's default time between beats. */
export const DEFAULT_BEAT_INTERVAL_MS = 15_000;
/** Bounds of the player's `telemetry.intervalMs`: the collector's idea of a viewer still there depends on the upper one. */
export const MIN_BEAT_INTERVAL_MS = 1000;
export const MAX_BEAT_INTERVAL_MS = 30_000;
