/**
 * Who seeds a swarm in a time slot. Every tracker instance orders the same members the same way
 * for the same slot (a hash, no randomness, no shared state), so instances on one Redis agree, and
 * the order changes completely from one slot to the next, so seeding rotates through the audience.
 */
import { createHash } from 'node:crypto';

/** The slot a moment falls in: slots are counted from the Unix epoch, so every instance numbers them alike. */
export function slotAt(now: number, slotMs: number): number {
  return Math.floor(now / slotMs);
}

/**
 * A member's sort key in a slot: SHA-1 of `${slot}:${peerId}` over latin1 bytes (peer_ids are the
 * wire's byte strings), as a binary (latin1) string so that comparing strings compares the digests' bytes.
 */
function orderKey(slot: number, peerId: string): string {
  return createHash('sha1').update(`${slot}:${peerId}`, 'latin1').digest('binary');
}

/**
 * The members ordered by their key in `slot`, lowest first, whatever order the store listed them
 * in. `keys` carries keys from one call to the next for the same slot: hashing is most of the cost
 * (~20 ms for 10,000 members), and a swarm's members change little between two reads.
 */
export function seedingOrder(members: readonly string[], slot: number, keys = new Map<string, string>()): string[] {
  const keyed = members.map((peerId) => {
    let key = keys.get(peerId);
    if (key === undefined) {
      key = orderKey(slot, peerId);
      keys.set(peerId, key);
    }
    return { peerId, key };
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ peerId }) => peerId);
}

/** How many of the first members of the order fetch new segments from the origin at once. */
export function seedersFor(swarmSize: number, viewersPerSeeder: number): number {
  return Math.max(1, Math.ceil(swarmSize / viewersPerSeeder));
}
