/**
 * Each swarm's seeding order for the current slot, computed once per instance and shared by every
 * viewer polling it: one store read and one sort per swarm per ORDER_REFRESH_MS, however many
 * viewers ask. Requests that arrive while a read is under way wait for that read.
 */
import { seedingOrder, type OrderedMember } from './seeding-order.ts';

/** A newcomer gets a rank this soon after its first announce, and a member that left loses its own. */
export const ORDER_REFRESH_MS = 2000;
/**
 * Swarms whose order is kept, the least recently asked dropped first. Anyone may ask about any
 * info_hash, so swarms without members are never kept: only real swarms compete for the room.
 */
export const MAX_CACHED_SWARMS = 10_000;

export interface SlotOrder {
  /** Each member's 0-based place in the slot's order. */
  ranks: ReadonlyMap<string, number>;
  /** A backup reported that the seeders did not seed in this slot. */
  passedOver: boolean;
}

interface CachedOrder {
  slot: number;
  readAt: number;
  order: Promise<SlotOrder>;
  /** Sort keys of the slot's members so far, reused by the next read in the same slot. */
  keys: Map<string, string>;
}

export interface SwarmReader {
  members(infoHash: string): Promise<OrderedMember[]>;
  passedOver(infoHash: string, slot: number): Promise<boolean>;
}

export class SeedingOrderCache {
  /** Map order is recency: an entry is moved to the end each time it is asked for. */
  private readonly orders = new Map<string, CachedOrder>();

  constructor(
    private readonly reader: SwarmReader,
    /** The trackers' shared secret that keys the order (see seeding-order.ts). */
    private readonly secret: Buffer,
  ) {}

  /** The swarm's order in `slot`; no ranks for a swarm with no members. */
  order(infoHash: string, slot: number, now: number): Promise<SlotOrder> {
    const cached = this.orders.get(infoHash);
    this.orders.delete(infoHash);
    if (cached && cached.slot === slot && now - cached.readAt < ORDER_REFRESH_MS) {
      this.orders.set(infoHash, cached);
      return cached.order;
    }
    const keys = cached?.slot === slot ? cached.keys : new Map<string, string>();
    const entry: CachedOrder = { slot, readAt: now, order: this.read(infoHash, slot, keys), keys };
    if (this.orders.size >= MAX_CACHED_SWARMS) this.orders.delete(this.orders.keys().next().value!);
    this.orders.set(infoHash, entry);
    const forget = () => {
      if (this.orders.get(infoHash) === entry) this.orders.delete(infoHash);
    };
    // Neither an empty swarm nor a failed read is kept: the next request reads the store again.
    entry.order.then(({ ranks }) => ranks.size === 0 && forget(), forget);
    return entry.order;
  }

  /** The next request for this swarm reads the store again (its seeders were just passed over). */
  refresh(infoHash: string): void {
    const cached = this.orders.get(infoHash);
    if (cached) cached.readAt = -Infinity;
  }

  private async read(infoHash: string, slot: number, keys: Map<string, string>): Promise<SlotOrder> {
    const [members, passedOver] = await Promise.all([this.reader.members(infoHash), this.reader.passedOver(infoHash, slot)]);
    const order = seedingOrder(members, slot, this.secret, keys);
    return { ranks: new Map(order.map((peerId, rank) => [peerId, rank])), passedOver };
  }
}
