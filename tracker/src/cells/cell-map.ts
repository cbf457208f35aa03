/**
 * Cells: a stream's swarm split into store swarms of bounded size, so no stream has a ceiling and
 * no per-request cost grows with its audience. A stream has `cells` cells, numbered from 0; cell 0
 * is the stream's own info_hash (a stream that never outgrew one cell is stored as before), cell k
 * is the info_hash followed by `#k`. Each cell is an ordinary swarm of the store, with its own keys
 * (and, on Redis, its own hash tag: a big stream spreads over a cluster's nodes). Peers meet only
 * members of their own cell; seeding is ordered per cell.
 *
 * A member's cell is jump consistent hashing (Lamping & Veach, 2014) of its first `cellKeys` key
 * over the stream's cell count: the same for every tracker instance, without a lookup. When that
 * cell is full (joins outran the opening of cells) it is the cell of its next key. When a stream
 * opens cells, only the members that hash into the new ones move (on their next announce), and the
 * chain of cells a key had at each smaller count is short (about ln(cells) long), so whoever has to
 * find a member that has not moved yet checks a few cells, not all of them.
 */
import { createHmac } from 'node:crypto';

/** Wire info_hashes are exactly 20 characters (@swarmcast/protocol/wire); a longer id is a cell's. */
const INFO_HASH_LENGTH = 20;
const CELL_SEPARATOR = '#';

/** The store swarm holding cell `cell` of a stream. */
export const cellId = (infoHash: string, cell: number): string => (cell === 0 ? infoHash : `${infoHash}${CELL_SEPARATOR}${cell}`);

/** The stream a store swarm belongs to. */
export const streamOf = (id: string): string => id.slice(0, INFO_HASH_LENGTH);

/**
 * Where a peer_id falls among cells, in order of preference (a cell that is full sends it to the
 * next): HMACs under the trackers' shared secret, so a client cannot grind peer_ids into a cell of
 * its choosing (to fill one with its own peers, say).
 */
export function cellKeys(secret: Buffer, peerId: string): [bigint, ...bigint[]] {
  const digest = createHmac('sha256', secret).update(`cell:${peerId}`, 'latin1').digest();
  return [digest.readBigUInt64BE(0), digest.readBigUInt64BE(8), digest.readBigUInt64BE(16), digest.readBigUInt64BE(24)];
}

const MASK_64 = (1n << 64n) - 1n;
const JUMP_MULTIPLIER = 2862933555777941757n;

/**
 * Every cell the key maps to at some count up to `cells`, in increasing order: the last is its
 * cell now, each earlier one its cell at smaller counts (where a member that joined then still is,
 * until it moves).
 */
export function cellChain(key: bigint, cells: number): number[] {
  const chain: number[] = [];
  let state = key;
  for (let next = 0; next < cells; ) {
    chain.push(next);
    state = (state * JUMP_MULTIPLIER + 1n) & MASK_64;
    next = Math.floor((chain.at(-1)! + 1) * (2 ** 31 / (Number(state >> 33n) + 1)));
  }
  return chain;
}

/** The key's cell among `cells`. */
export const cellOf = (key: bigint, cells: number): number => cellChain(key, cells).at(-1)!;
