/**
 * Builds the published package into dist/ (`npm run build`; `npm pack` and `npm publish` run it
 * first): one ES module per process of a load run, as src/process-entries.ts names them:
 * - `cli.js`, which bin/swarmcast-loadtest.mjs runs where there are no sources;
 * - `load-peer.js`, a tracker load process the CLI forks;
 * - `viewer.js`, a virtual viewer, bundled exactly as the sources bundle it at run time
 *   (src/viewer/viewer-bundle.ts): the patched p2p-media-loader-core inside;
 * - `swarmcast.min.js`, the player SDK's `<script>` bundle that `event --browsers` pages play,
 *   built from the SDK's sources first (`npm run build -w player-sdk`), so it is never a stale one.
 * The workspace packages (`@swarmcast/*`, never published) are bundled in. Every other package
 * stays an import, to be installed with this one: the build fails unless each is among
 * package.json's `dependencies`, and unless each dependency is still imported.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, readFile, rm, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { PROCESS_ENTRIES } from '../src/process-entries.ts';
import { SDK_BUNDLE, sdkBundlePath } from '../src/viewer/browser-page.ts';
import { VIEWER_BUILD } from '../src/viewer/viewer-bundle.ts';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(packageDir, 'dist');

/** Imports of npm packages stay imports; the workspace's own packages are bundled. */
const npmPackagesExternal: Plugin = {
  name: 'npm-packages-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, ({ path }) => (path.startsWith('@swarmcast/') ? undefined : { external: true }));
  },
};

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * Names of the npm packages the bundles import, statically and dynamically. A dynamic import may
 * name a package the built code never loads (esbuild, on the sources' path of viewer-bundle.ts).
 */
function importedPackages(metafiles: Metafile[]): { static: Map<string, string>; dynamic: Set<string> } {
  const builtins = new Set(builtinModules);
  const imported = { static: new Map<string, string>(), dynamic: new Set<string>() };
  for (const metafile of metafiles) {
    for (const [output, { imports }] of Object.entries(metafile.outputs)) {
      for (const { path, kind, external } of imports) {
        if (!external || path.startsWith('node:') || builtins.has(path)) continue;
        if (kind === 'dynamic-import') imported.dynamic.add(packageName(path));
        else imported.static.set(packageName(path), relative(packageDir, output));
      }
    }
  }
  return imported;
}

async function buildLoadtest(): Promise<void> {
  await rm(dist, { recursive: true, force: true });
  const { viewer, ...processes } = PROCESS_ENTRIES;
  const fromSrc = (entry: string) => resolve(packageDir, 'src', entry);

  const node = await build({
    entryPoints: Object.fromEntries(Object.entries(processes).map(([name, entry]) => [name, fromSrc(entry)])),
    outdir: dist,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['swarmcast-source'],
    plugins: [npmPackagesExternal],
    metafile: true,
    logLevel: 'warning',
  });
  const viewerBuild = await build({ ...VIEWER_BUILD, entryPoints: { viewer: fromSrc(viewer) }, outdir: dist, metafile: true, logLevel: 'warning' });

  const manifest = JSON.parse(await readFile(resolve(packageDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const dependencies = new Set(Object.keys(manifest.dependencies ?? {}));
  const imported = importedPackages([node.metafile, viewerBuild.metafile]);
  const missing = [...imported.static].filter(([name]) => !dependencies.has(name));
  const unused = [...dependencies].filter((name) => !imported.static.has(name) && !imported.dynamic.has(name));
  const problems = [
    ...missing.map(([name, output]) => `${output} imports ${name}, which is not among package.json's dependencies: an install would not have it`),
    ...unused.map((name) => `package.json's dependency ${name} is imported by no bundle: a build-only package belongs in devDependencies`),
  ];
  // patches/ is applied by the root's postinstall: after `npm ci --ignore-scripts` the core is not patched.
  const viewerCode = await readFile(resolve(dist, 'viewer.js'), 'utf8');
  if (!viewerCode.includes('playbackUpdatedAt')) problems.push('dist/viewer.js holds p2p-media-loader-core without patches/p2p-media-loader-core+2.3.1.patch: run `npm install` (or `npx patch-package`) at the root');
  if (problems.length > 0) throw new Error(`loadtest build:\n  ${problems.join('\n  ')}`);
  await copySdkBundle();
}

async function copySdkBundle(): Promise<void> {
  // Its output on stderr, as ours: `npm pack --json` keeps stdout for its JSON.
  const sdk = spawnSync('npm', ['run', 'build', '-w', '@swarmcast/player-sdk'], { cwd: resolve(packageDir, '..'), stdio: ['ignore', 2, 2] });
  if (sdk.status !== 0) throw new Error(`loadtest build: the player SDK's build (npm run build -w player-sdk) failed (${sdk.error?.message ?? `exit ${sdk.status}`})`);
  await copyFile(sdkBundlePath(), resolve(dist, SDK_BUNDLE));
}

await buildLoadtest();
const sizes = await Promise.all([...Object.keys(PROCESS_ENTRIES), SDK_BUNDLE.replace(/\.js$/, '')].map(async (name) => `dist/${name}.js ${Math.round((await stat(resolve(dist, `${name}.js`))).size / 1024)} KiB`));
// On stderr: `npm pack --json` prints its JSON on stdout, after this script's output.
console.error(`loadtest built: ${sizes.join(', ')}`);
