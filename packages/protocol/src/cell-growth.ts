/**
 * When a stream's swarm is split into more cells, and into how many (the tracker's
 * cells/cell-directory.ts, and the simulator's model of it): when a cell reaches OPEN_AT of its
 * capacity, the stream gets enough cells for its members to fill them to SPREAD_TO. Cells fill
 * evenly, so one crowded cell means they all are: its size times the count is the stream's size.
 */

/** A cell this full opens more cells… */
export const OPEN_AT = 0.8;
/** …enough for its stream's members to fill them to this, so cells open a few times per tenfold growth. */
export const SPREAD_TO = 0.5;

/** Whether a cell of this size should make its stream open more cells. */
export function crowded(cellSize: number, capacity: number): boolean {
  return cellSize >= Math.max(1, Math.floor(capacity * OPEN_AT));
}

/** The cell count to open for a stream whose cell (one of `cells`) has `cellSize` members. */
export function cellsToOpen(cells: number, cellSize: number, capacity: number): number {
  return Math.max(cells + 1, Math.ceil((cells * cellSize) / Math.max(1, capacity * SPREAD_TO)));
}
