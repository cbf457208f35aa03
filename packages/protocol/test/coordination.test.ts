/**
 * The coordination answer's schema and the browser's check of it: the player accepts exactly what
 * Ajv (the tracker's side) accepts, on the tracker's real answers and on broken ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { coordinationAnswerSchema, type CoordinationAnswer } from '../src/coordination.ts';
import { schemaCompiler } from '../src/json-schema.ts';
import { conforms } from '../src/schema-check.ts';

const ANSWER: CoordinationAnswer = { swarm_size: 7, seeders: 1, rank: 3, slot: 88_000_000, slot_ms: 20_000, next_slot_in_ms: 4000 };
const ajv = schemaCompiler().compile(coordinationAnswerSchema);

const cases: Array<[string, unknown]> = [
  ['a member', ANSWER],
  ['not a member yet', { ...ANSWER, rank: null }],
  ['an unknown swarm', { ...ANSWER, swarm_size: 0, seeders: 0, rank: null }],
  ['more fields than the player knows (a newer tracker)', { ...ANSWER, cell: 'eu-1' }],
  ['rank as a string', { ...ANSWER, rank: '3' }],
  ['a fractional rank', { ...ANSWER, rank: 2.5 }],
  ['a negative swarm size', { ...ANSWER, swarm_size: -1 }],
  ['a zero-length slot', { ...ANSWER, slot_ms: 0 }],
  ['no slot', { swarm_size: 7, seeders: 1, rank: 3, slot_ms: 20_000, next_slot_in_ms: 4000 }],
  ['null', null],
  ['an array', [ANSWER]],
  ['a failure reason', { 'failure reason': 'seeding coordination is off' }],
];

test('the player accepts exactly what Ajv accepts', () => {
  for (const [name, value] of cases) assert.equal(conforms(coordinationAnswerSchema, value), ajv(value), name);
  // Both sides of the line are exercised.
  assert.deepEqual(
    cases.map(([, value]) => conforms(coordinationAnswerSchema, value)),
    [true, true, true, true, false, false, false, false, false, false, false, false],
  );
});

test('a schema keyword the browser check does not read is refused, never skipped', () => {
  assert.throws(() => conforms(Type.String({ pattern: '^a' }), 'b'), /keyword "pattern" is not supported/);
  assert.equal(conforms(Type.Number({ maximum: 1 }), 2), false);
  assert.equal(conforms(Type.Number(), Number.POSITIVE_INFINITY), false);
  assert.equal(conforms(Type.Number(), 3), true, 'an integer is a number');
});
