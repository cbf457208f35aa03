/**
 * Who seeds a swarm in a time slot. Every tracker instance orders the same members the same way
 * for the same slot (a keyed hash, no randomness), so instances on one store agree, and the order
 * changes completely from one slot to the next, so seeding rotates through the audience.
 *
 * Clients choose their peer_ids and know the slot numbering, so a public hash would let them grind
 * ids that sort first in a coming slot and hold every seeding rank while fetching nothing. The key
 * is therefore an HMAC under a secret only trackers hold (shared through the store), and an
 * address (or IPv6 /64) gets one place per round: its second member comes after every address's
 * first, so many sockets from one place never hold more than one of the first ranks.
 */
import { createHmac } from 'node:crypto';

export interface OrderedMember {
  peerId: string;
  /** The client address it announced from, as limits count it (`limitKey`: IPv4, or IPv6 /64). */
  address: string;
}

/** The slot a moment falls in: slots are counted from the Unix epoch, so every instance numbers them alike. */
export function slotAt(now: number, slotMs: number): number {
  return Math.floor(now / slotMs);
}

/**
 * A member's sort key in a slot: HMAC-SHA-256 of `${slot}:${peerId}` over latin1 bytes (peer_ids
 * are the wire's byte strings), as a binary (latin1) string so that comparing strings compares bytes.
 */
function orderKey(secret: Buffer, slot: number, peerId: string): string {
  return createHmac('sha256', secret).update(`${slot}:${peerId}`, 'latin1').digest('binary');
}

/**
 * The members' peer_ids in `slot`'s order, whatever order the store listed them in: by round (an
 * address's first member is in round 0, its second in round 1, …), then by key. `keys` carries keys
 * from one call to the next for the same slot: hashing is most of the cost, and a swarm's members
 * change little between two reads.
 */
export function seedingOrder(members: readonly OrderedMember[], slot: number, secret: Buffer, keys = new Map<string, string>()): string[] {
  const keyed = members.map(({ peerId, address }) => {
    let key = keys.get(peerId);
    if (key === undefined) {
      key = orderKey(secret, slot, peerId);
      keys.set(peerId, key);
    }
    return { peerId, address, key, round: 0 };
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const seen = new Map<string, number>();
  for (const member of keyed) {
    member.round = seen.get(member.address) ?? 0;
    seen.set(member.address, member.round + 1);
  }
  // Array.prototype.sort is stable: within a round, key order stands.
  keyed.sort((a, b) => a.round - b.round);
  return keyed.map(({ peerId }) => peerId);
}

/** How many of the first members of the order fetch new segments from the origin at once. */
export function seedersFor(swarmSize: number, viewersPerSeeder: number): number {
  return Math.max(1, Math.ceil(swarmSize / viewersPerSeeder));
}
