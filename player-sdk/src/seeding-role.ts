/**
 * Seeding coordination: which viewers of a live rendition fetch a new segment from the origin.
 *
 * Left alone, p2p-media-loader seeds each new segment independently in every neighbourhood (its
 * random HTTP loader fetches what no neighbour has with probability ≈ 1/(neighbours + 1)) and the
 * HTTP deadline is reached by many viewers at once, so origin fetches per segment grow with the
 * audience. Instead the tracker, which sees the whole swarm, orders its members per time slot by
 * a keyed hash of (slot, peer_id) (`GET /coordination`): the first `seeders` fetch every new segment at
 * the live edge, the next `BACKUPS` fetch it at staggered deadlines if the mesh has not brought it
 * (a seeder left or is slow), and everyone else (relays) waits for the mesh until the HTTP floor.
 * The order changes every slot, so no viewer's uplink carries the event alone.
 * Without a fresh signal a viewer behaves as it did before coordination existed.
 */
import { BACKUPS } from '@swarmcast/protocol/coordination';

/** The tracker's answer for one swarm, as the SDK keeps it. */
export interface SwarmCoordination {
  swarmSize: number;
  seeders: number;
  /** 0-based place in this slot's order; null when the tracker does not know this peer yet. */
  rank: number | null;
  /** When the tracker's slot ends, on the caller's clock (ms). */
  slotEndsAt: number;
  /** When the answer arrived (ms): older than `COORDINATION_STALE_MS` is no signal. */
  receivedAt: number;
}

export type SeedingRole = { kind: 'seeder' } | { kind: 'backup'; order: number } | { kind: 'relay' };

/** Backups after the seeders: each one more chance for the segment before the relays' floor. */
export { BACKUPS };
/**
 * Where a backup's deadline sits between the relays' floor (0) and the moment a segment appears
 * at the live edge (1): the first backup fetches after ~40 % of the mesh's time has passed, the
 * second after ~70 %, leaving the rest for the mesh to carry a backup's copy to the relays.
 */
export const BACKUP_LEAD = [0.6, 0.3] as const;
/** A signal older than this is ignored (a few missed polls: the tracker or the network is gone). */
export const COORDINATION_STALE_MS = 20_000;

/**
 * This viewer's role in a swarm now, or null: no usable signal, or nobody else watches (nobody
 * to wait for or to share with): behave as uncoordinated.
 * A viewer the tracker does not list yet (it is starting: its first announce is on the way) in a
 * swarm that has members is a relay: it waits for the peers it is about to meet rather than pull
 * its first buffer from the origin.
 */
export function seedingRole(coordination: SwarmCoordination | undefined, now: number): SeedingRole | null {
  if (coordination === undefined || now - coordination.receivedAt > COORDINATION_STALE_MS) return null;
  const others = coordination.swarmSize - (coordination.rank === null ? 0 : 1);
  if (others <= 0) return null;
  if (coordination.rank === null) return { kind: 'relay' };
  // Just past the slot's end the old role stands until the next answer: for a moment two seeders
  // may overlap, which costs one fetch, where no seeder at all would cost one per viewer.
  if (coordination.rank < coordination.seeders) return { kind: 'seeder' };
  if (coordination.rank < coordination.seeders + BACKUPS) return { kind: 'backup', order: coordination.rank - coordination.seeders };
  return { kind: 'relay' };
}
