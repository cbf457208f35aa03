// The virtual viewer as one prebuilt ES module. Loading p2pml-viewer.ts through tsx made every
// viewer process compile the same TypeScript again (measured in the loadtest README: startup CPU
// and memory per viewer); one esbuild pass per CLI run makes a process that only loads JavaScript.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./p2pml-viewer.ts', import.meta.url));
/**
 * Inside the package's own node_modules, so that the externals (native or optional-native
 * modules) resolve from the bundle exactly as they do from the sources.
 */
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/swarmcast-viewer/', import.meta.url));

let built: Promise<string> | undefined;

/** Path of the bundled viewer, built once per process and cached on disk by source hash. */
export function viewerBundle(): Promise<string> {
  built ??= buildBundle();
  return built;
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const dir of [dirname(ENTRY), fileURLToPath(new URL('../../../player-sdk/src/', import.meta.url)), fileURLToPath(new URL('../', import.meta.url))]) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

async function buildBundle(): Promise<string> {
  const outfile = join(CACHE_DIR, `viewer-${sourceHash()}.mjs`);
  if (existsSync(outfile)) return outfile;
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${outfile}.${process.pid}.tmp`;
  await build({
    entryPoints: [ENTRY],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['p2pml:core-as-bundle'],
    // Native (or optionally native) modules stay where npm installed them.
    external: ['@roamhq/wrtc', 'ws'],
    logLevel: 'silent',
  });
  // Concurrent CLI runs may build the same bundle: the rename makes the last one win whole.
  renameSync(partial, outfile);
  return outfile;
}
