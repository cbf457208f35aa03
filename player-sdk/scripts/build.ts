/**
 * Builds the package into dist/: `esm/index.js` (ESM, dependencies external), `types/` (.d.ts),
 * `swarmcast.min.js` (IIFE, global `Swarmcast`, everything bundled, for <script> tags) and
 * `demo/index.html` (the demo page with its script inlined; the origin serves it at `/`).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(packageDir, 'dist');

export async function buildSdk(): Promise<void> {
  await rm(dist, { recursive: true, force: true });

  await build({
    entryPoints: [resolve(packageDir, 'src/index.ts')],
    outfile: resolve(dist, 'esm/index.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    packages: 'external',
    logLevel: 'warning',
  });

  // `platform: 'browser'` picks the `browser` export of the webrtc-polyfill shim (the page's own
  // RTCPeerConnection): @roamhq/wrtc must never reach the bundle, which `assertBrowserOnly` checks.
  const result = await build({
    entryPoints: [resolve(packageDir, 'src/browser-global.ts')],
    outfile: resolve(dist, 'swarmcast.min.js'),
    bundle: true,
    format: 'iife',
    globalName: 'Swarmcast',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    metafile: true,
    // p2p-media-loader-core's self-contained build: its default entry needs Node's `events` and friends.
    conditions: ['p2pml:core-as-bundle'],
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    logLevel: 'warning',
  });
  assertBrowserOnly(Object.keys(result.metafile.inputs));

  const demo = await build({
    entryPoints: [resolve(packageDir, 'demo/demo.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  const template = await readFile(resolve(packageDir, 'demo/index.html'), 'utf8');
  const script = demo.outputFiles[0]!.text.replaceAll('</script', '<\\/script');
  await mkdir(resolve(dist, 'demo'), { recursive: true });
  await writeFile(resolve(dist, 'demo/index.html'), template.replace('<!-- DEMO_SCRIPT -->', () => `<script>${script}</script>`));

  execFileSync(process.execPath, [resolve(packageDir, '../node_modules/typescript/bin/tsc'), '-p', resolve(packageDir, 'tsconfig.types.json')], {
    stdio: 'inherit',
  });
}

function assertBrowserOnly(inputs: string[]): void {
  const native = inputs.filter((input) => /@roamhq|node-datachannel|wrtc\.node/.test(input));
  if (native.length > 0) throw new Error(`the browser bundle pulled Node-only WebRTC modules: ${native.join(', ')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildSdk();
  const { size } = await stat(resolve(dist, 'swarmcast.min.js'));
  console.log(`player-sdk built: dist/swarmcast.min.js ${(size / 1024).toFixed(0)} KiB, dist/esm, dist/types, dist/demo/index.html`);
}
