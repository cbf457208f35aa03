/**
 * Each swarm's seeding order for the current slot, as far as it matters: the first members met on
 * the seeding ring from the slot's point, read once per instance per ORDER_REFRESH_MS and shared by
 * every viewer polling it. A read costs the same in any swarm size (a few dozen members, or twice
 * the seeders and backups); a viewer beyond them asks the store for its own place (routes.ts).
 * Requests that arrive while a read is under way wait for that read.
 */
import { ringKey, slotPhase } from '../store/seeding-ring.ts';
import type { SeedingWindow } from '../store/store.ts';
import { BACKUPS } from '@swarmcast/protocol/coordination';
import { estimateMesh, seedingClass, unpackReport, type MeshEstimate } from '@swarmcast/protocol/mesh-capacity';
import { seedingOrder, seedingWindow, takingTurns, turnDraw } from '@swarmcast/protocol/seeding-order';

/** A newcomer gets a rank among the first this soon after its first announce, and a member that left loses its own. */
export const ORDER_REFRESH_MS = 2000;
/**
 * Swarms whose order is kept, the least recently asked dropped first. Anyone may ask about any
 * info_hash, so swarms without members are never kept: only real swarms compete for the room.
 */
export const MAX_CACHED_SWARMS = 10_000;

export interface SlotOrder {
  /** The slot's point on the ring: a member's place beyond the window is counted from it. */
  from: number;
  /** Live members of the swarm at the read. */
  size: number;
  /** The 0-based places of the members read, the first of the slot's order. */
  ranks: ReadonlyMap<string, number>;
  /** A backup reported that the seeders did not seed in this slot. */
  passedOver: boolean;
  /** The mesh as the members read report it; null without reports. */
  mesh: MeshEstimate | null;
}

interface CachedOrder {
  slot: number;
  readAt: number;
  order: Promise<SlotOrder>;
  /** The swarm's size and mesh once the read is in: how many members the next read asks for. */
  size?: number;
  mesh?: MeshEstimate | null;
}

export interface SwarmReader {
  seedingWindow(infoHash: string, from: number, count: number): Promise<SeedingWindow>;
  passedOver(infoHash: string, slot: number): Promise<boolean>;
}

export class SeedingOrderCache {
  /** Map order is recency: an entry is moved to the end each time it is asked for. */
  private readonly orders = new Map<string, CachedOrder>();

  constructor(
    private readonly reader: SwarmReader,
    /** The trackers' shared secret that places the slots on the ring (store/seeding-ring.ts). */
    private readonly secret: Buffer,
    /** How many of the first ranks seed in a swarm of this size and mesh. */
    private readonly seedersFor: (swarmSize: number, mesh: MeshEstimate | null) => number,
  ) {}

  /** The swarm's order in `slot`; no ranks for a swarm with no members. */
  order(infoHash: string, slot: number, now: number): Promise<SlotOrder> {
    const cached = this.orders.get(infoHash);
    this.orders.delete(infoHash);
    if (cached && cached.slot === slot && now - cached.readAt < ORDER_REFRESH_MS) {
      this.orders.set(infoHash, cached);
      return cached.order;
    }
    const entry: CachedOrder = { slot, readAt: now, order: this.read(infoHash, slot, cached?.size ?? 0, cached?.mesh ?? null) };
    if (this.orders.size >= MAX_CACHED_SWARMS) this.orders.delete(this.orders.keys().next().value!);
    this.orders.set(infoHash, entry);
    const forget = () => {
      if (this.orders.get(infoHash) === entry) this.orders.delete(infoHash);
    };
    // Neither an empty swarm nor a failed read is kept: the next request reads the store again.
    entry.order.then(({ size, mesh }) => {
      entry.size = size;
      entry.mesh = mesh;
      if (size === 0) forget();
    }, forget);
    return entry.order;
  }

  /** The next request for this swarm reads the store again (its seeders were just passed over). */
  refresh(infoHash: string): void {
    const cached = this.orders.get(infoHash);
    if (cached) cached.readAt = -Infinity;
  }

  /** Members to read in a swarm of this size. */
  private windowFor(swarmSize: number, mesh: MeshEstimate | null): number {
    return seedingWindow(this.seedersFor(swarmSize, mesh) + BACKUPS);
  }

  /** Reads as many members as the swarm's size at the last read calls for; again only if it has since grown past that. */
  private async read(infoHash: string, slot: number, sizeBefore: number, meshBefore: MeshEstimate | null): Promise<SlotOrder> {
    const from = slotPhase(this.secret, slot);
    const [first, passedOver] = await Promise.all([
      this.reader.seedingWindow(infoHash, from, this.windowFor(sizeBefore, meshBefore)),
      this.reader.passedOver(infoHash, slot),
    ]);
    let { size, members } = first;
    let mesh = estimateMesh(members.map((member) => unpackReport(member.report)));
    const wanted = this.windowFor(size, mesh);
    if (wanted > members.length && size > members.length) {
      ({ size, members } = await this.reader.seedingWindow(infoHash, from, wanted));
      mesh = estimateMesh(members.map((member) => unpackReport(member.report)));
    }
    const reports = new Map(members.map((member) => [member.peerId, unpackReport(member.report)]));
    const classOf = (member: { peerId: string }) => seedingClass(reports.get(member.peerId) ?? null, mesh);
    const order = members.length >= size ? this.takingTurns(members, slot, this.seedersFor(size, mesh), classOf) : seedingOrder(members, classOf);
    return { from, size, ranks: new Map(order.map((peerId, rank) => [peerId, rank])), passedOver, mesh };
  }

  /** A swarm read whole takes turns (@swarmcast/protocol/seeding-order), each member drawing by its ring key. */
  private takingTurns<T extends { peerId: string; address: string }>(members: T[], slot: number, seeders: number, classOf: (member: T) => number): string[] {
    const keys = new Map(members.map((member) => [member.peerId, ringKey(this.secret, member.peerId)]));
    const drawsIn = (turn: number) => {
      const slotKey = slotPhase(this.secret, turn);
      return (member: T) => turnDraw(keys.get(member.peerId)!, slotKey);
    };
    return takingTurns(members, slot, seeders, drawsIn, classOf);
  }
}
