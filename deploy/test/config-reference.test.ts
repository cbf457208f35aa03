/**
 * The README's configuration tables against the config modules: every variable a service reads is
 * documented under its section, nothing else is, and every plain documented default is the
 * module's (setting a variable to its documented default changes nothing).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig as loadOriginConfig, originEnv } from '../../origin/src/config.ts';
import { configEnv, loadConfig as loadTrackerConfig } from '../../tracker/src/config.ts';
import { ROOT } from './support/compose.ts';

const readme = readFileSync(ROOT + 'README.md', 'utf8');

/** `variable → default cell` of the `| variable | default | meaning |` tables in a `## ` section. */
function documented(section: string): Map<string, string> {
  const body = readme.split(/^## /m).find((part) => part.startsWith(`${section}\n`)) ?? '';
  const rows = new Map<string, string>();
  for (const table of body.split(/^\| variable \| default \| meaning \|$/m).slice(1)) {
    for (const line of table.split('\n').slice(2)) {
      const cells = /^\| `([A-Z0-9_]+)` \| (.*?) \|/.exec(line);
      if (!cells) break;
      rows.set(cells[1]!, cells[2]!);
    }
  }
  return rows;
}

/** The default cell's value when it is a plain literal: `8000` → '8000'; unset or prose → undefined. */
const plainDefault = (cell: string) => /^`([^`]*)`/.exec(cell)?.[1];

/** The variables `loadConfig` reads, whatever it does with them. */
function variablesRead(load: (env: NodeJS.ProcessEnv) => unknown): Set<string> {
  const read = new Set<string>();
  load(new Proxy({}, { get: (_target, name) => (typeof name === 'string' && read.add(name), undefined), has: (_target, name) => (read.add(String(name)), false) }));
  return read;
}

test('the tracker table lists exactly the variables the tracker reads, with its defaults', () => {
  const rows = documented('Tracker');
  assert.deepEqual([...rows.keys()].sort(), Object.values(configEnv).sort());
  assert.deepEqual([...variablesRead(loadTrackerConfig)].sort(), Object.values(configEnv).sort(), 'configEnv is what loadConfig reads');
  for (const [name, cell] of rows) {
    const value = plainDefault(cell);
    if (value !== undefined) assert.deepEqual(loadTrackerConfig({ [name]: value }), loadTrackerConfig({}), `${name}'s documented default ${cell}`);
  }
});

test('the origin table lists exactly the variables the origin reads, with its defaults', () => {
  const rows = documented('Origin');
  assert.deepEqual([...rows.keys()].sort(), [...originEnv].sort());
  assert.deepEqual([...variablesRead(loadOriginConfig)].sort(), [...originEnv].sort(), 'originEnv is what loadConfig reads');
  // Documented paths are relative to the repository root, where npm start and npm test run.
  process.chdir(ROOT);
  for (const [name, cell] of rows) {
    const value = plainDefault(cell);
    if (value !== undefined) assert.deepEqual(loadOriginConfig({ [name]: value }), loadOriginConfig({}), `${name}'s documented default ${cell}`);
  }
});

test('the npm start table lists exactly the variables scripts/start-stack.ts reads, with its defaults', () => {
  const source = readFileSync(ROOT + 'scripts/start-stack.ts', 'utf8');
  const read = new Map([...source.matchAll(/process\.env\['([A-Z0-9_]+)'\] \?\? '([^']*)'/g)].map((match) => [match[1]!, match[2]!]));
  const rows = documented('Quick start');
  assert.deepEqual([...rows.keys()].sort(), [...read.keys()].sort());
  for (const [name, cell] of rows) assert.equal(plainDefault(cell), read.get(name), `${name}'s documented default`);
});
