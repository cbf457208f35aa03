/**
 * The seeding ring. Every member of a swarm sits at a fixed point of a circle, its `ringKey`: an
 * HMAC of its peer_id under the trackers' shared secret. Each slot starts at a point of its own
 * (`slotPhase`, an HMAC of the slot number), and the members met clockwise from there are the
 * slot's order: the first ones seed, the next back up. So a slot's seeders cost one read of a few
 * members, in any swarm size, where sorting the whole swarm by a per-slot hash read every member;
 * and since the starting point jumps at random from slot to slot, seeding still rotates through
 * the audience (a swarm small enough to read whole takes turns instead: coordination/order-cache.ts). Without the secret a client can place neither its peer_ids nor the slots, so it
 * cannot grind ids that seed.
 */
import { createHmac } from 'node:crypto';

/** Points on the ring are integers below 2^52: exact as doubles, in JavaScript, Lua and Redis scores alike. */
export const RING_SIZE = 2 ** 52;

function ringPoint(secret: Buffer, text: string): number {
  const digest = createHmac('sha256', secret).update(text, 'latin1').digest();
  // 52 bits: 6 whole bytes and the high half of the seventh.
  return digest.readUIntBE(0, 6) * 16 + (digest[6]! >> 4);
}

/** Where a member sits: fixed for as long as the trackers keep their secret. */
export const ringKey = (secret: Buffer, peerId: string): number => ringPoint(secret, `member:${peerId}`);

/** Where a slot's order starts. */
export const slotPhase = (secret: Buffer, slot: number): number => ringPoint(secret, `slot:${slot}`);

export interface RingEntry {
  ringKey: number;
  peerId: string;
}

/** Ring order, as Redis orders a sorted set: by key, then by peer_id's bytes (equal keys are all but impossible). */
const before = (a: RingEntry, b: RingEntry) => a.ringKey < b.ringKey || (a.ringKey === b.ringKey && a.peerId < b.peerId);

/** A swarm's members in ring order, for the memory store (a process holds < 20,000 sockets, so a sorted array serves). */
export class RingIndex<T extends RingEntry> {
  private readonly sorted: T[] = [];

  get size(): number {
    return this.sorted.length;
  }

  insert(entry: T): void {
    this.sorted.splice(this.lowerBound(entry), 0, entry);
  }

  remove(entry: T): void {
    const at = this.lowerBound(entry);
    if (this.sorted[at] === entry) this.sorted.splice(at, 1);
  }

  /** Up to `count` entries clockwise from `from`: at `from` or after it, wrapping once. */
  from(from: number, count: number): T[] {
    const start = this.lowerBound({ ringKey: from, peerId: '' });
    const n = Math.min(count, this.sorted.length);
    return Array.from({ length: n }, (_, i) => this.sorted[(start + i) % this.sorted.length]!);
  }

  /** How many entries lie clockwise from `from` before `entry` (which must be in the ring). */
  placeOf(entry: T, from: number): number {
    const start = this.lowerBound({ ringKey: from, peerId: '' });
    const at = this.lowerBound(entry);
    return (at - start + this.sorted.length) % this.sorted.length;
  }

  /** The first index whose entry does not come before `entry`. */
  private lowerBound(entry: RingEntry): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (before(this.sorted[middle]!, entry)) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
