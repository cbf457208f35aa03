/**
 * Who seeds a swarm in a time slot. The slot's order is the seeding ring read clockwise from the
 * slot's point (the tracker's store/seeding-ring.ts): every instance reads the same members in the same order for
 * the same slot, so instances on one store agree, and the point jumps from one slot to the next, so
 * seeding rotates through the audience. The ring is keyed by a secret only trackers hold (shared
 * through the store), so clients cannot grind peer_ids that seed.
 *
 * An address (or IPv6 /64) gets one place per round: within the members read, its second member
 * comes after every address's first, so many sockets from one place never hold more than one of
 * the first ranks while the read holds enough addresses. Members come in classes (`classOf`): the
 * tracker puts those that upload before those that do not, or too slowly: a seeder's copy is only
 * worth its fetch if it passes it on.
 */

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
 * The members' peer_ids in the slot's order, given in ring order from the slot's point: by class
 * (`classOf`, lowest first), then by round (an address's first member of the class is in round 0,
 * its second in round 1, …), then in ring order.
 */
export function seedingOrder<T extends OrderedMember>(ringOrder: readonly T[], classOf: (member: T) => number = () => 0): string[] {
  const seen = new Map<string, number>();
  const rounds = ringOrder.map((member) => {
    const rank = classOf(member);
    const key = `${rank}\n${member.address}`;
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    return { peerId: member.peerId, round, rank };
  });
  // Array.prototype.sort is stable: within a class and round, ring order stands.
  return rounds.sort((a, b) => a.rank - b.rank || a.round - b.round).map(({ peerId }) => peerId);
}
