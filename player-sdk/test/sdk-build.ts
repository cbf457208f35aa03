/**
 * dist/ built once for every test file that needs it, and again only when what goes into it has
 * changed: a hash of the build's inputs is stored next to the build, so the tests always load a
 * bundle of the current sources without each file paying for a build.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSdk } from '../scripts/build.ts';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoDir = resolve(packageDir, '..');
const STAMP = resolve(packageDir, 'dist/.inputs-sha256');
/** What the build reads: the SDK, its build scripts and configuration, the protocol package it bundles, the locked dependencies and our patches to them. */
const INPUTS = [
  'player-sdk/src',
  'player-sdk/demo',
  'player-sdk/scripts',
  'player-sdk/package.json',
  'player-sdk/tsconfig.json',
  'player-sdk/tsconfig.types.json',
  'packages/protocol/src',
  'packages/protocol/package.json',
  'package-lock.json',
  'patches',
].map((path) => resolve(repoDir, path));

async function filesUnder(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => null);
  if (entries === null) return [path];
  const nested = await Promise.all(entries.map((entry) => filesUnder(join(path, entry.name))));
  return nested.flat();
}

async function inputsHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await Promise.all(INPUTS.map(filesUnder))).flat().sort();
  for (const file of files) {
    hash.update(relative(repoDir, file)).update('\0');
    hash.update(await readFile(file).catch(() => Buffer.alloc(0))).update('\0');
  }
  return hash.digest('hex');
}

/** Builds dist/ unless it was built from exactly these inputs. */
export async function ensureSdkBuilt(): Promise<void> {
  const inputs = await inputsHash();
  if ((await readFile(STAMP, 'utf8').catch(() => '')) === inputs) return;
  await buildSdk();
  await writeFile(STAMP, inputs);
}
