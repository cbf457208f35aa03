/** Cells of a stream (cells/cell-map.ts): the mapping every tracker instance computes alike. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { id20 } from '@swarmcast/testkit';
import { cellChain, cellId, cellKeys, cellOf, streamOf } from '../src/cells/cell-map.ts';

const secret = randomBytes(32);
const keys = Array.from({ length: 50_000 }, (_, i) => cellKeys(secret, id20(`member-${i}`))[0]);

test('cell 0 is the stream itself; every cell names its stream', () => {
  const stream = id20('a-stream');
  assert.equal(cellId(stream, 0), stream);
  assert.notEqual(cellId(stream, 1), stream);
  for (const cell of [0, 1, 7, 123_456]) assert.equal(streamOf(cellId(stream, cell)), stream);
  assert.equal(new Set([0, 1, 2, 10, 11].map((cell) => cellId(stream, cell))).size, 5);
});

test("a key's chain holds its cell at every smaller count, in increasing order, the last its cell now", () => {
  for (const key of keys.slice(0, 500)) {
    const chain = cellChain(key, 1000);
    assert.equal(chain[0], 0);
    assert.ok(chain.every((cell, i) => cell < 1000 && (i === 0 || cell > chain[i - 1]!)));
    assert.equal(chain.at(-1), cellOf(key, 1000));
    for (const count of [1, 2, 3, 10, 99, 500]) assert.equal(cellOf(key, count), chain.filter((cell) => cell < count).at(-1));
  }
  const lengths = keys.slice(0, 2000).map((key) => cellChain(key, 1000).length);
  // About ln(1000) + 1 ≈ 7.9 on average: a member that has not moved yet is found within a few cells.
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  assert.ok(mean > 6 && mean < 10, `mean chain length ${mean}`);
});

test('members spread evenly over the cells, and opening one more moves only the share that fills it', () => {
  const cells = 10;
  const counts = Array<number>(cells).fill(0);
  for (const key of keys) counts[cellOf(key, cells)]!++;
  for (const count of counts) assert.ok(Math.abs(count - keys.length / cells) < keys.length / cells / 20, `cells hold ${counts.join(' ')}`);
  const moved = keys.filter((key) => cellOf(key, cells + 1) !== cellOf(key, cells));
  assert.ok(moved.every((key) => cellOf(key, cells + 1) === cells), 'a member moves only into the new cell');
  assert.ok(Math.abs(moved.length / keys.length - 1 / (cells + 1)) < 0.01, `${moved.length} of ${keys.length} moved`);
});

test("a peer_id's cells depend on the trackers' secret, and its choices differ from each other", () => {
  const other = randomBytes(32);
  const peers = Array.from({ length: 1000 }, (_, i) => id20(`grind-${i}`));
  const same = peers.filter((peer) => cellOf(cellKeys(secret, peer)[0], 16) === cellOf(cellKeys(other, peer)[0], 16)).length;
  // Without the secret, a cell is a guess: 1 in 16 agree by chance.
  assert.ok(same < 1000 / 16 + 40, `${same} of 1000 peer_ids in the same cell under another secret`);
  const [first, second] = cellKeys(secret, peers[0]!);
  assert.notEqual(first, second);
});
