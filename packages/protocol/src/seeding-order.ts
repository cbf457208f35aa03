/**
 * Who seeds a swarm in a time slot. The slot's order is the seeding ring read clockwise from the
 * slot's point (the tracker's store/seeding-ring.ts): every instance reads the same members in the same order for
 * the same slot, so instances on one store agree, and the point jumps from one slot to the next, so
 * seeding rotates through the audience; a swarm small enough to read whole draws its own order
 * each slot instead (`takingTurns`). The ring is keyed by a secret only trackers hold (shared
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

/** Members a tracker reads for a slot's order at least, and at most (a read costs the same in any swarm size). */
export const MIN_SEEDING_WINDOW = 64;
export const MAX_SEEDING_WINDOW = 1000;

/** Members read for a slot's order when `roles` of them seed or back up: twice as many, for the rounds below. */
export const seedingWindow = (roles: number): number => Math.min(MAX_SEEDING_WINDOW, Math.max(MIN_SEEDING_WINDOW, 2 * roles));

/**
 * Slots of one round of turns: a swarm read whole works its seeders out from the round's first
 * slot on, so no member seeds two slots in a row within a round.
 */
export const TURN_ROUND = 8;

/**
 * A member's draw in a slot: a bijective mix (MurmurHash3's finaliser) of its key and the slot's,
 * both secret to clients (the ring keys), so each slot gets its own order, every member as likely
 * as any other to come first.
 */
export function turnDraw(memberKey: number, slotKey: number): number {
  let h = ((memberKey % 2 ** 32) ^ (slotKey % 2 ** 32)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The slot's order of a swarm read whole: the members by their draw in the slot (`drawsIn`), the
 * last slot's `seeders` after the others, then by class and round (`seedingOrder`). So each slot
 * every member is as likely as any to seed, whatever the gaps between their places on the ring
 * (read from a random point, a member after a long gap seeded slot after slot: a 3-viewer
 * Chromium test saw one take nothing from peers in 60 s), none seeds two slots in a row while
 * others can (across rounds, 1 time in the swarm's size), and a newcomer changes the seeders only if
 * it draws first in a slot of the round so far. The last slot's seeders are worked out again from
 * the round's first slot, so every instance agrees without keeping state.
 */
export function takingTurns<T extends OrderedMember>(
  members: readonly T[],
  slot: number,
  seeders: number,
  drawsIn: (slot: number) => (member: T) => number,
  classOf: (member: T) => number = () => 0,
): string[] {
  let order: string[] = [];
  let last = new Set<string>();
  for (let turn = slot - (((slot % TURN_ROUND) + TURN_ROUND) % TURN_ROUND); turn <= slot; turn++) {
    const drawOf = drawsIn(turn);
    const drawn = members.map((member) => ({ member, draw: drawOf(member), last: last.has(member.peerId) ? 1 : 0 }));
    drawn.sort((a, b) => a.last - b.last || a.draw - b.draw || (a.member.peerId < b.member.peerId ? -1 : 1));
    order = seedingOrder(drawn.map(({ member }) => member), classOf);
    last = new Set(order.slice(0, seeders));
  }
  return order;
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
