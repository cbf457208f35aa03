/**
 * An announce in a stream of any size: the peer is a member of one cell (cell-map.ts), moves when
 * its stream has opened cells that it now hashes into, and opens cells when the newest is crowded
 * or when joins find both of their cells full. Every step costs the same in a stream of ten peers
 * or a million.
 */
import type { AnnounceInput, AnnounceOutput, SwarmStore } from '../store/store.ts';
import type { CellDirectory } from './cell-directory.ts';
import { cellId, cellOf } from './cell-map.ts';

/** Times a newcomer whose choices are all full opens more cells before it is refused. */
const MAX_OPENINGS_PER_JOIN = 3;

export interface CellAnnounce {
  output: AnnounceOutput;
  /** The cell the peer is a member of after the announce (its old one if a move was refused). */
  cell: string;
}

/**
 * Announces `input` (its infoHash the stream's) in the peer's cell: the first of its choices
 * (`keys`, from `cellKeys`) with room. `current` is the cell it is a member of already, if any: a
 * move is a join in the new cell, then a leave of the old one, so a refused move leaves it where
 * it was. A newcomer whose choices are all full reads the cell count again, then opens cells
 * (each opening halves the share of joins that land in the old, full ones): refused only if its
 * choices are full even then.
 */
export async function announceInCell(
  store: Pick<SwarmStore, 'announce' | 'leave'>,
  directory: CellDirectory,
  input: AnnounceInput,
  keys: readonly [bigint, ...bigint[]],
  current: string | undefined,
  now: number,
): Promise<CellAnnounce> {
  const stream = input.infoHash;
  const tried = new Set<string>();
  let last: CellAnnounce | undefined;
  /** Its first choice among `cells` that takes it; for a member, its own cell if that comes first. */
  const settle = async (cells: number): Promise<CellAnnounce | undefined> => {
    for (const key of keys) {
      const cell = cellId(stream, cellOf(key, cells));
      if (tried.has(cell)) continue;
      tried.add(cell);
      last = { cell, output: await store.announce({ ...input, infoHash: cell }) };
      if (cell === current || (current === undefined ? last.output.outcome !== 'swarm_full' : last.output.outcome === 'ok')) return last;
    }
    return undefined;
  };
  let cells = await directory.count(stream, now);
  let settled = await settle(cells);
  if (!settled && current === undefined) {
    cells = await directory.count(stream, now, true);
    settled = await settle(cells);
    // Each opening at least doubles the cells, so each halves the chance that every choice is
    // still an old, full cell: a few are enough, and bound what one newcomer can open.
    for (let opened = 0; !settled && opened < MAX_OPENINGS_PER_JOIN; opened++) {
      settled = await settle((cells = await directory.open(stream, cells, directory.capacity, now)));
    }
  }
  if (!settled) {
    // A newcomer refused (the last outcome says why), or a member whose move was, which stays.
    if (current === undefined) return last!;
    settled = { cell: current, output: await store.announce({ ...input, infoHash: current }) };
  } else if (current !== undefined && settled.cell !== current) {
    await store.leave(current, input.peerId, input.owner);
  }
  const size = settled.output.complete + settled.output.incomplete;
  // Cells fill evenly, so a crowded cell means they all are: its size times the count is about the
  // stream's. Only the newest cell says so: until every instance has moved its members out of the
  // older cells (it sees a new count within a second), those still hold them, and opening by their
  // size opened again and again (10,000 peers on 6 instances made 7 to 12 cells, where 2 do).
  if (settled.output.outcome === 'ok' && settled.cell === cellId(stream, cells - 1) && directory.crowded(size)) {
    await directory.open(stream, cells, size, now);
  }
  return settled;
}
