// The virtual viewer as one prebuilt ES module. Loading p2pml-viewer.ts through tsx made every
// viewer process compile the same TypeScript again (measured in the loadtest README: startup CPU
// and memory per viewer); one esbuild pass per CLI run makes a process that only loads JavaScript.
// The published package ships that module already built (dist/viewer.js), and no esbuild.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { FROM_SOURCES, processEntry } from '../process-entries.ts';

/**
 * Inside the package's own node_modules, so that the externals (native or optional-native
 * modules) resolve from the bundle exactly as they do from the sources.
 */
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/swarmcast-viewer/', import.meta.url));

/** How the viewer is bundled: here from the sources at run time, and by scripts/build.ts into dist/. */
export const VIEWER_BUILD = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The SDK and the shared packages by name, from their TypeScript sources (their "exports").
  conditions: ['swarmcast-source', 'p2pml:core-as-bundle'],
  // Native (or optionally native) modules stay where npm installed them.
  external: ['@roamhq/wrtc', 'ws'],
} satisfies BuildOptions;

let built: Promise<string> | undefined;

/** Path of the bundled viewer: dist/'s, or built once per process from the sources and named by its content. */
export function viewerBundle(): Promise<string> {
  if (!FROM_SOURCES) return Promise.resolve(processEntry('viewer').file);
  built ??= buildBundle();
  return built;
}

async function buildBundle(): Promise<string> {
  // Loaded here, on the sources' path only: the built package never bundles at run time.
  const { build } = await import('esbuild');
  const { outputFiles } = await build({
    ...VIEWER_BUILD,
    entryPoints: [processEntry('viewer').file],
    write: false,
    logLevel: 'silent',
  });
  const code = outputFiles[0]!.contents;
  // Named by what it holds rather than by a hash of chosen source folders: a change in any
  // package the viewer imports makes a new file, and a run never starts a stale one.
  const outfile = join(CACHE_DIR, `viewer-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (existsSync(outfile)) return outfile;
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${outfile}.${process.pid}.tmp`;
  writeFileSync(partial, code);
  // Concurrent CLI runs may write the same bundle: the rename makes the last one win whole.
  renameSync(partial, outfile);
  return outfile;
}
