/**
 * Builds the package into dist/:
 * - `esm/` for npm users: `index.js` (createPlayer, the element), `engine.js` (bring your own
 *   hls.js) and `policy.js` (the policy without a browser, `@swarmcast/player-sdk/policy`), ESM
 *   with hls.js left to the site (a peer dependency: a site that ships hls.js has one copy) and
 *   p2p-media-loader inside;
 * - `types/` (.d.ts with `.js` specifiers, as Node and bundlers resolve them);
 * - `swarmcast.min.js` (IIFE, global `Swarmcast`, hls.js/light inside: no DRM, subtitles, alternate
 *   audio, CMCD or interstitials) and `swarmcast.full.min.js` (the full hls.js), for <script> tags;
 * - `demo/index.html` (the demo page with its script inlined, on the light build; the origin serves it at `/`).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { bundleSizes, formatSizes } from './bundle-sizes.ts';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(packageDir, 'dist');

/**
 * p2p-media-loader-core from its TypeScript sources (patched like its builds: patches/), with its
 * dependencies from node_modules, rather than its self-contained build, which carries a `process`
 * shim, Node's `events`, `debug` and streamx's text decoding: 21 KiB less (README, "Bundle size").
 */
const p2pmlSources = fileURLToPath(new URL('../src/', import.meta.resolve('p2p-media-loader-core')));
export const P2PML_FROM_SOURCES = {
  'p2p-media-loader-core': join(p2pmlSources, 'index.ts'),
  // streamx's own EventEmitter where there is no Node (it is what events-universal picks for Bare).
  events: 'bare-events',
  debug: resolve(packageDir, 'scripts/browser-shims/debug.ts'),
  'text-decoder': resolve(packageDir, 'scripts/browser-shims/text-decoder.cjs'),
  // Our SHA-1 callers (the swarm's info hash, the peer_id proof) on the core's own SHA-1.
  '@noble/hashes/legacy.js': resolve(packageDir, 'scripts/browser-shims/sha1.ts'),
  'p2pml-core-sha1': join(p2pmlSources, 'utils/hash.ts'),
};

/** What every browser build shares. */
const browser: BuildOptions = {
  bundle: true,
  platform: 'browser',
  target: 'es2020',
  alias: P2PML_FROM_SOURCES,
  // `process.browser`: bittorrent-tracker's client asks it before requiring a port (Node only).
  define: { 'process.env.NODE_ENV': '"production"', 'process.browser': 'true', global: 'globalThis' },
  legalComments: 'none',
  logLevel: 'warning',
};

/** The browser builds' aliases and `extra` ones. */
const aliases = (extra: Record<string, string>) => ({ ...P2PML_FROM_SOURCES, ...extra });

/** hls.js without DRM, subtitles, alternate audio, CMCD and interstitials: 215 KiB less. */
export const LIGHT_HLS = { 'hls.js': 'hls.js/light' };

export async function buildSdk(): Promise<void> {
  await assertCorePatched();
  await rm(dist, { recursive: true, force: true });

  await build({
    ...browser,
    entryPoints: ['index', 'engine', 'policy'].map((entry) => resolve(packageDir, `src/${entry}.ts`)),
    outdir: resolve(dist, 'esm'),
    format: 'esm',
    // The entries share one copy of everything but hls.js (not imported by the engine entry at all).
    splitting: true,
    chunkNames: 'shared-[hash]',
    external: ['hls.js'],
  });

  // `platform: 'browser'` picks the `browser` export of the webrtc-polyfill shim (the page's own
  // RTCPeerConnection): @roamhq/wrtc must never reach a bundle, which `assertBrowserOnly` checks.
  for (const [file, alias] of [['swarmcast.min.js', LIGHT_HLS], ['swarmcast.full.min.js', {}]] as const) {
    const result = await build({
      ...browser,
      entryPoints: [resolve(packageDir, 'src/browser-global.ts')],
      outfile: resolve(dist, file),
      format: 'iife',
      globalName: 'Swarmcast',
      alias: aliases(alias),
      minify: true,
      sourcemap: true,
      metafile: true,
    });
    assertBrowserOnly(Object.keys(result.metafile.inputs));
  }

  const demo = await build({ ...browser, entryPoints: [resolve(packageDir, 'demo/demo.ts')], format: 'iife', alias: aliases(LIGHT_HLS), minify: true, write: false });
  const template = await readFile(resolve(packageDir, 'demo/index.html'), 'utf8');
  const script = demo.outputFiles[0]!.text.replaceAll('</script', '<\\/script');
  await mkdir(resolve(dist, 'demo'), { recursive: true });
  await writeFile(resolve(dist, 'demo/index.html'), template.replace('<!-- DEMO_SCRIPT -->', () => `<script>${script}</script>`));

  execFileSync(process.execPath, [resolve(packageDir, '../node_modules/typescript/bin/tsc'), '-p', resolve(packageDir, 'tsconfig.types.json')], {
    stdio: 'inherit',
  });
  await useJsSpecifiers(resolve(dist, 'types'));
}

/**
 * tsc keeps our `.ts` import specifiers in declarations (`rewriteRelativeImportExtensions` only
 * rewrites JavaScript); a user's TypeScript resolves `./player.js` to `player.d.ts`, not `./player.ts`.
 */
async function useJsSpecifiers(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await useJsSpecifiers(path);
    else if (entry.name.endsWith('.d.ts')) {
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replace(/((?:from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1.js$2'));
    }
  }
}

/** The bundles take p2p-media-loader-core's sources: without the patch (an install that skipped patch-package), they would ship its seek bug. */
async function assertCorePatched(): Promise<void> {
  const hybridLoader = await readFile(join(p2pmlSources, 'hybrid-loader.ts'), 'utf8');
  if (!hybridLoader.includes('Swarmcast patch')) throw new Error('p2p-media-loader-core is not patched: run `npm ci` (its postinstall runs patch-package)');
}

function assertBrowserOnly(inputs: string[]): void {
  const native = inputs.filter((input) => /@roamhq|node-datachannel|wrtc\.node/.test(input));
  if (native.length > 0) throw new Error(`the browser bundle pulled Node-only WebRTC modules: ${native.join(', ')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildSdk();
  console.log(`player-sdk built into dist/:\n${formatSizes(await bundleSizes())}`);
}
