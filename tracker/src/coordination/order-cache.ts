/**
 * Each swarm's seeding order for the current slot, computed once per instance and shared by every
 * viewer polling it: one store read and one sort per swarm per ORDER_REFRESH_MS, however many
 * viewers ask. Requests that arrive while a read is under way wait for that read.
 */
import { seedingOrder } from './seeding-order.ts';

/** A newcomer gets a rank this soon after its first announce, and a member that left loses its own. */
export const ORDER_REFRESH_MS = 2000;
/**
 * Swarms whose order is kept, the least recently asked dropped first. Anyone may ask about any
 * info_hash, so swarms without members are never kept: only real swarms compete for the room.
 */
export const MAX_CACHED_SWARMS = 10_000;

interface CachedOrder {
  slot: number;
  readAt: number;
  /** Each member's 0-based place in the slot's order. */
  ranks: Promise<ReadonlyMap<string, number>>;
  /** Sort keys of the slot's members so far, reused by the next read in the same slot. */
  keys: Map<string, string>;
}

export class SeedingOrderCache {
  /** Map order is recency: an entry is moved to the end each time it is asked for. */
  private readonly orders = new Map<string, CachedOrder>();

  constructor(private readonly readMembers: (infoHash: string) => Promise<string[]>) {}

  /** The rank of every member of the swarm in `slot`; empty for a swarm with no members. */
  ranks(infoHash: string, slot: number, now: number): Promise<ReadonlyMap<string, number>> {
    const cached = this.orders.get(infoHash);
    this.orders.delete(infoHash);
    if (cached && cached.slot === slot && now - cached.readAt < ORDER_REFRESH_MS) {
      this.orders.set(infoHash, cached);
      return cached.ranks;
    }
    const keys = cached?.slot === slot ? cached.keys : new Map<string, string>();
    const order: CachedOrder = { slot, readAt: now, ranks: this.read(infoHash, slot, keys), keys };
    if (this.orders.size >= MAX_CACHED_SWARMS) this.orders.delete(this.orders.keys().next().value!);
    this.orders.set(infoHash, order);
    const forget = () => {
      if (this.orders.get(infoHash) === order) this.orders.delete(infoHash);
    };
    // Neither an empty swarm nor a failed read is kept: the next request reads the store again.
    order.ranks.then((ranks) => ranks.size === 0 && forget(), forget);
    return order.ranks;
  }

  private async read(infoHash: string, slot: number, keys: Map<string, string>): Promise<ReadonlyMap<string, number>> {
    const order = seedingOrder(await this.readMembers(infoHash), slot, keys);
    return new Map(order.map((peerId, rank) => [peerId, rank]));
  }
}
