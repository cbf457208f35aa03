/**
 * Writes `segments-sha256.json` for an HLS folder, byte for byte what the origin would serve for it,
 * so a site whose segments sit on another server (a CDN) can publish the manifest players check
 * peers against:
 *   npm run integrity -w origin -- <folder> [--out <file> | --out -]
 * The folder is the one holding the master playlist (players look for the manifest next to it).
 * For VOD folders: a live stream's URLs change with its window, so its manifest must follow it.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { INTEGRITY_MANIFEST } from '@swarmcast/protocol/integrity';
import { folderIntegrityManifest } from './integrity-manifest.ts';

const USAGE = `usage: npm run integrity -w origin -- <folder> [--out <file>]   (default ${INTEGRITY_MANIFEST} in the folder; - = stdout)`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseCommandLine() {
  try {
    return parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
  } catch (error) {
    return fail((error as Error).message);
  }
}

const parsed = parseCommandLine();
if (parsed.positionals.length !== 1) fail('give exactly one folder');
// `npm run -w origin` runs in origin/: paths are taken from where the user typed the command.
const here = process.env['INIT_CWD'] ?? process.cwd();
const folder = resolve(here, parsed.positionals[0]!);
const manifest = await folderIntegrityManifest(folder).catch((error: Error) => fail(`cannot read ${folder}: ${error.message}`));
const segments = Object.keys(manifest).length;
if (segments === 0) fail(`no segment files (.ts, .m4s, .mp4, .m4a, .aac) under ${folder}`);
const json = JSON.stringify(manifest);
const out = parsed.values.out === undefined ? join(folder, INTEGRITY_MANIFEST) : resolve(here, parsed.values.out);
if (parsed.values.out === '-') process.stdout.write(json);
else {
  await writeFile(out, json);
  console.error(`${out}: ${segments} segments`);
}
