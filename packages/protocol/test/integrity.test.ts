/** The integrity manifest as a player reads it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readIntegrityManifest } from '../src/integrity.ts';

const HASH = 'ab'.repeat(32);

test('keys are kept as written, digests lowercased', () => {
  assert.deepEqual(readIntegrityManifest({ '240p/seg_000.ts': HASH, '240p/seg_001.ts': HASH.toUpperCase() }), new Map([
    ['240p/seg_000.ts', HASH],
    ['240p/seg_001.ts', HASH],
  ]));
});

test('entries that are not a hex SHA-256 are skipped', () => {
  const body = { short: 'ab'.repeat(31), long: 'ab'.repeat(33), 'not hex': 'zz'.repeat(32), number: 7, nested: { a: HASH }, good: HASH };
  assert.deepEqual(readIntegrityManifest(body), new Map([['good', HASH]]));
});

test('a body that is not a JSON object is no manifest', () => {
  for (const body of [null, [HASH], 'text', 42, true]) assert.equal(readIntegrityManifest(body), undefined, JSON.stringify(body));
  assert.deepEqual(readIntegrityManifest({}), new Map());
});
