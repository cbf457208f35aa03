// The processes of a load run (the CLI, a tracker load process, a virtual viewer) run what the CLI
// runs: in this repository their TypeScript sources, through tsx, with nothing to build; in the
// published package the JavaScript that scripts/build.ts wrote to dist/, one file per entry below.
import { fileURLToPath } from 'node:url';
import { TSX_EXEC_ARGV } from '@swarmcast/process';

/** Each process's entry under src/; the build writes it as dist/<name>.js. */
export const PROCESS_ENTRIES = {
  cli: 'cli.ts',
  'load-peer': 'tracker/load-peer.ts',
  viewer: 'viewer/p2pml-viewer.ts',
} as const;

export type ProcessName = keyof typeof PROCESS_ENTRIES;

/** Whether this code runs from its sources (tsx keeps their `.ts` URLs) rather than from dist/. */
export const FROM_SOURCES = import.meta.url.endsWith('.ts');

/** The file that runs process `name`, and the `node` flags it needs. */
export function processEntry(name: ProcessName): { file: string; execArgv: readonly string[] } {
  if (FROM_SOURCES) return { file: fileURLToPath(new URL(PROCESS_ENTRIES[name], import.meta.url)), execArgv: TSX_EXEC_ARGV };
  // Built, this module is part of a bundle at the top of dist/, next to the other entries' bundles.
  return { file: fileURLToPath(new URL(`./${name}.js`, import.meta.url)), execArgv: [] };
}
