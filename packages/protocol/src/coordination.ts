/**
 * Seeding coordination as the tracker and the player both count it (`GET /coordination`): after
 * the `seeders` ranks come BACKUPS ranks that fetch a new segment at staggered deadlines when the
 * mesh has not brought it. A backup that had to fetch says so (`missed`), which is how the tracker
 * notices a seeder that does not seed; only a backup may say it, so the tracker needs the count.
 *
 * The answer's schema is the one source of its shape: the tracker's route serialises with it and
 * the player checks what it receives against it (`conforms`, `schema-check.ts`). Built from
 * TypeBox's single builders, not its `Type` namespace, so the player's bundle carries ~2 KB of
 * TypeBox rather than all of it.
 */
import { Integer, Object as TObject, Unsafe, type Static } from '@sinclair/typebox';

export const BACKUPS = 2;

/** The query parameter a backup reports its origin fetches of the slot with (a positive integer). */
export const MISSED_PARAMETER = 'missed';

/**
 * What a player says about itself with each poll, so the tracker can size the seeding to what the
 * mesh carries (mesh-capacity.ts): query parameters, each optional, integers
 * within `REPORT_LIMITS` (outside them a request is refused with 400).
 */
export const REPORT_PARAMETERS = {
  /** Upload rate it measured, kbit/s (absent until it has uploaded). */
  uplinkKbit: 'uplink_kbit',
  /** 0: it will not upload (cellular, uploads off); 1 or absent: it does. */
  uploads: 'uploads',
  /** 0: no peer is connected to it now (unreachable, or just joined), so a copy it fetched would go no further; 1 or absent: one is. */
  connected: 'connected',
  /** Median size of its recent segments in this swarm, bytes. */
  segmentBytes: 'segment_bytes',
  /** Its mesh budget, ms: from a new segment's appearance to its last backup's deadline. */
  budgetMs: 'budget_ms',
} as const;

export const REPORT_LIMITS = {
  uplinkKbit: { minimum: 1, maximum: 10_000_000 },
  segmentBytes: { minimum: 1, maximum: 100_000_000 },
  budgetMs: { minimum: 100, maximum: 120_000 },
} as const;

/** Snake_case, as the tracker's WebTorrent frames. */
export const coordinationAnswerSchema = TObject({
  /** Current members of the swarm (0: unknown swarm). */
  swarm_size: Integer({ minimum: 0 }),
  /** The first `seeders` ranks fetch new segments from the origin at once. */
  seeders: Integer({ minimum: 0 }),
  /** This peer_id's 0-based place in the slot's order; null while it is not a member. */
  rank: Unsafe<number | null>({ type: ['integer', 'null'], minimum: 0 }),
  /** floor(now / slot_ms): the order changes when this does. */
  slot: Integer({ minimum: 0 }),
  slot_ms: Integer({ minimum: 1 }),
  next_slot_in_ms: Integer({ minimum: 0 }),
});

export type CoordinationAnswer = Static<typeof coordinationAnswerSchema>;
