/**
 * Each stream's cell count as this instance last read it, and the opening of cells by the rule of
 * @swarmcast/protocol/cell-growth.
 */
import { cellsToOpen, crowded } from '@swarmcast/protocol/cell-growth';
import type { SwarmStore } from '../store/store.ts';

/** How long a read count serves this instance: a stream that opened cells is seen within this. */
export const CELL_COUNT_CACHE_MS = 1000;
/**
 * Streams whose count is kept; the least recently asked drops out (and is read again). Anyone may
 * announce made-up info_hashes, so this is bounded.
 */
const MAX_CACHED_STREAMS = 10_000;

interface CachedCount {
  readAt: number;
  count: Promise<number>;
  /** The count once read. */
  value?: number;
}

/** Told when a stream has more cells than this instance knew: its members here move now, not on their next announce. */
export type GrowthListener = (infoHash: string, cells: number) => void;

export type CellCountStore = Pick<SwarmStore, 'cellCount' | 'openCells'>;

export class CellDirectory {
  private readonly counts = new Map<string, CachedCount>();
  private listener: GrowthListener = () => undefined;

  constructor(
    private readonly store: CellCountStore,
    /** Members one cell holds at most (MAX_PEERS_PER_SWARM). */
    readonly capacity: number,
    /** How long a stream keeps its cells without a read (two announce intervals: as long as its members). */
    private readonly ttlMs: number,
  ) {}

  onGrowth(listener: GrowthListener): void {
    this.listener = listener;
  }

  /** The stream's cell count, read at most once per CELL_COUNT_CACHE_MS (`fresh`: read now). */
  count(infoHash: string, now: number, fresh = false): Promise<number> {
    const cached = this.counts.get(infoHash);
    this.counts.delete(infoHash);
    if (cached && !fresh && now - cached.readAt < CELL_COUNT_CACHE_MS) {
      this.counts.set(infoHash, cached);
      return cached.count;
    }
    return this.keep(infoHash, now, this.store.cellCount(infoHash, this.ttlMs));
  }

  /** Whether a cell of this size should make its stream open more cells. */
  crowded(cellSize: number): boolean {
    return crowded(cellSize, this.capacity);
  }

  /** Opens cells for a stream whose cell (one of `cells`) has `cellSize` members; the count after. */
  async open(infoHash: string, cells: number, cellSize: number, now: number): Promise<number> {
    const wanted = cellsToOpen(cells, cellSize, this.capacity);
    const before = this.counts.get(infoHash)?.value ?? cells;
    const count = await this.store.openCells(infoHash, wanted, this.ttlMs);
    this.keep(infoHash, now, Promise.resolve(count), count);
    if (count > before) this.listener(infoHash, count);
    return count;
  }

  private keep(infoHash: string, now: number, count: Promise<number>, known?: number): Promise<number> {
    const before = this.counts.get(infoHash)?.value;
    const entry: CachedCount = { readAt: now, count, value: known };
    this.counts.delete(infoHash);
    if (this.counts.size >= MAX_CACHED_STREAMS) this.counts.delete(this.counts.keys().next().value!);
    this.counts.set(infoHash, entry);
    count.then(
      (value) => {
        entry.value = value;
        // Opened by another instance.
        if (known === undefined && before !== undefined && value > before) this.listener(infoHash, value);
      },
      () => {
        // A failed read is not kept: the next request reads again.
        if (this.counts.get(infoHash) === entry) this.counts.delete(infoHash);
      },
    );
    return count;
  }
}
