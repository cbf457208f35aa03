/**
 * The README's configuration tables against the services' settings tables: each README table is
 * the one `referenceTable` writes from the settings (variables, defaults and meanings, in order),
 * `loadConfig` reads exactly those variables, and every plain documented default is the one the
 * service uses (setting a variable to its documented default changes nothing).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { referenceTable, type Settings } from '@swarmcast/config';
import { loadConfig as loadOriginConfig, originSettings } from '@swarmcast/origin';
import { loadConfig as loadTrackerConfig, trackerSettings } from '@swarmcast/tracker';
import { ROOT } from './support/compose.ts';

const readme = readFileSync(ROOT + 'README.md', 'utf8');
const TABLE_HEADER = '| variable | default | meaning |';

/** The `| variable | default | meaning |` table of a `## ` section, as written. */
function documentedTable(section: string): string {
  const body = readme.split(/^## /m).find((part) => part.startsWith(`${section}\n`)) ?? '';
  const lines = body.split('\n');
  const first = lines.indexOf(TABLE_HEADER);
  if (first === -1) return '';
  const end = lines.findIndex((line, i) => i > first && !line.startsWith('|'));
  return lines.slice(first, end === -1 ? undefined : end).join('\n');
}

/** `variable → default cell` of a section's table. */
function documented(section: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of documentedTable(section).split('\n').slice(2)) {
    const cells = /^\| `([A-Z0-9_]+)` \| (.*?) \|/.exec(line);
    if (cells) rows.set(cells[1]!, cells[2]!);
  }
  return rows;
}

/** The default cell's value when it is a plain literal: `8000` → '8000'; unset or prose → undefined. */
const plainDefault = (cell: string) => /^`([^`]*)`/.exec(cell)?.[1];

/** The variables `loadConfig` reads, whatever it does with them. */
function variablesRead(load: (env: NodeJS.ProcessEnv) => unknown): Set<string> {
  const read = new Set<string>();
  load(new Proxy({}, {
    get: (_target, name) => {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
    has: (_target, name) => {
      read.add(String(name));
      return false;
    },
  }));
  return read;
}

function checkService(section: string, settings: Settings, load: (env: NodeJS.ProcessEnv) => unknown): void {
  const expected = referenceTable(settings);
  assert.equal(documentedTable(section), expected, `the README's ${section} table, written from the settings:\n${expected}\n`);
  const variables = Object.values(settings).map((setting) => setting.env);
  assert.deepEqual([...variablesRead(load)].sort(), [...variables].sort(), 'loadConfig reads the variables of its settings table');
  for (const [name, cell] of documented(section)) {
    const value = plainDefault(cell);
    if (value !== undefined) assert.deepEqual(load({ [name]: value }), load({}), `${name}'s documented default ${cell}`);
  }
}

test('the tracker table is written from the tracker settings, with their defaults', () => {
  checkService('Tracker', trackerSettings, loadTrackerConfig);
});

test('the origin table is written from the origin settings, with their defaults', () => {
  // Documented paths are relative to the repository root, where npm start and npm test run.
  process.chdir(ROOT);
  checkService('Origin', originSettings, loadOriginConfig);
});

test('the npm start table lists exactly the variables scripts/start-stack.ts reads, with its defaults', () => {
  const source = readFileSync(ROOT + 'scripts/start-stack.ts', 'utf8');
  const read = new Map([...source.matchAll(/process\.env\['([A-Z0-9_]+)'\] \?\? '([^']*)'/g)].map((match) => [match[1]!, match[2]!]));
  const rows = documented('Quick start');
  assert.deepEqual([...rows.keys()].sort(), [...read.keys()].sort());
  for (const [name, cell] of rows) assert.equal(plainDefault(cell), read.get(name), `${name}'s documented default`);
});
