// The published result schema (schema/result-v1.schema.json) against the code that writes
// results: they name the same version and units, a real run's JSON matches it (every test that
// reads a result checks it through readResult), and it refuses what a pipeline could not read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRIC_UNITS, RESULT_SCHEMA_VERSION } from '../src/result.ts';
import { readResult, runCli } from './support/local-stack.ts';

const schema = JSON.parse(readFileSync(new URL('../schema/result-v1.schema.json', import.meta.url), 'utf8'));

test('the schema and the code agree on the version and the units', () => {
  assert.equal(schema.properties.schemaVersion.const, RESULT_SCHEMA_VERSION);
  assert.deepEqual(schema.definitions.metric.properties.unit.enum, [...METRIC_UNITS]);
});

test("a simulation's JSON matches the schema, and a result a pipeline could not read does not", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'result-schema-'));
  const out = join(dir, 'sim.json');
  const run = await runCli(['simulate', '--viewers', '20', '--duration', '10', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  const result = readResult(out);
  assert.ok(result.metrics.length > 10);
  assert.ok(result.metrics.every((m) => /^[a-z][a-z0-9_]*$/.test(m.name) && Number.isFinite(m.value)));
  const broken: Array<[string, (json: Record<string, unknown>) => void]> = [
    ['a prose metric name', (json) => ((json['metrics'] as Array<Record<string, unknown>>)[0]!['name'] = 'origin fetches per segment')],
    ['a value that is text', (json) => ((json['metrics'] as Array<Record<string, unknown>>)[0]!['value'] = '1.2')],
    ['an unknown unit', (json) => ((json['metrics'] as Array<Record<string, unknown>>)[0]!['unit'] = 'furlongs')],
    ['another version', (json) => (json['schemaVersion'] = 2)],
    ['no metrics', (json) => delete json['metrics']],
  ];
  for (const [what, breakIt] of broken) {
    const json = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    breakIt(json);
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify(json));
    assert.throws(() => readResult(file), /does not match the result schema/, what);
  }
});
