/**
 * The package as npm users get it: what `npm pack` ships, whether publint and arethetypeswrong
 * accept its exports and types, and the size budgets of the bundles.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { BUDGETS, bundleSizes, formatSizes, overBudget } from '../scripts/bundle-sizes.ts';
import { ensureBuilt } from './harness.ts';

const run = promisify(execFile);
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string) => resolve(packageDir, '../node_modules/.bin', name);

describe('the published package', { timeout: 5 * 60_000 }, () => {
  before(() => ensureBuilt());

  test('Apache-2.0 with the metadata a registry shows; the LICENSE it ships is the repository\'s', () => {
    const manifest = JSON.parse(readFileSync(resolve(packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest['license'], 'Apache-2.0');
    for (const field of ['description', 'keywords', 'homepage', 'repository', 'bugs']) assert.ok(manifest[field], `package.json has ${field}`);
    assert.equal(readFileSync(resolve(packageDir, 'LICENSE'), 'utf8'), readFileSync(resolve(packageDir, '../LICENSE'), 'utf8'));
  });

  test('npm pack ships the builds, types and README, and no sources, tests or demo', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageDir });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((file) => file.path).sort();
    const entries = ['index', 'engine', 'policy'].flatMap((entry) => [`dist/esm/${entry}.js`, `dist/types/${entry}.d.ts`]);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'custom-elements.json', ...entries, 'dist/swarmcast.min.js', 'dist/swarmcast.full.min.js']) {
      assert.ok(files.includes(needed), `${needed} is missing from the package`);
    }
    const stray = files.filter((path) => !/^(package\.json|README\.md|custom-elements\.json|LICENSE|dist\/(esm\/[\w-]+\.js|types\/[\w-]+\.d\.ts|swarmcast(\.full)?\.min\.js(\.map)?))$/.test(path));
    assert.deepEqual(stray, [], 'the package holds files a user does not need');
  });

  test('declarations import each other as .js, as TypeScript resolves them for users', async () => {
    const { stdout } = await run('grep', ['-rlE', `from '\\.{1,2}/[^']*\\.ts'`, resolve(packageDir, 'dist/types')]).catch((error: { code?: number; stdout?: string }) =>
      error.code === 1 ? { stdout: '' } : Promise.reject(error),
    );
    assert.equal(stdout, '', 'some declarations still import .ts files');
  });

  test('publint finds nothing to fix', async () => {
    const { messages } = await publint({ pkgDir: packageDir, level: 'suggestion', strict: true });
    assert.deepEqual(messages, []);
  });

  test('arethetypeswrong resolves every module entry to its types (ESM-only package)', async () => {
    // The <script> bundles are not modules: they define window.Swarmcast and have no types to find.
    // --pack packs the package as it would be published (scripts ignored: dist/ is fresh); a problem exits non-zero.
    const args = ['--pack', '.', '--profile', 'esm-only', '--exclude-entrypoints', 'swarmcast.min.js', 'swarmcast.full.min.js'];
    await run(bin('attw'), args, { cwd: packageDir, env: { ...process.env, npm_config_ignore_scripts: 'true' } }).catch((error: { stdout?: string }) =>
      assert.fail(`arethetypeswrong found problems:\n${error.stdout ?? String(error)}`),
    );
  });

  test(`bundles stay within budget (light ≤ ${BUDGETS.light.minified / 1024} KiB / ${BUDGETS.light.gzipped / 1024} KiB gzipped, engine ≤ ${BUDGETS.engine.minified / 1024} KiB)`, async () => {
    const sizes = await bundleSizes();
    console.log(formatSizes(sizes));
    assert.deepEqual(overBudget(sizes), []);
    assert.ok(sizes.full.minified > sizes.light.minified, 'the full bundle should carry more of hls.js than the light one');
  });
});
