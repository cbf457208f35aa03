// The published package on its own: `npm pack` makes a tarball that installs in an empty folder,
// with no workspace around it, from the registry's packages alone; and the installed CLI runs,
// starting its children (tracker load processes, viewers) from the build as a user's would.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inLoopbackNamespace } from '@swarmcast/testkit';
import { figure, readResult, startOrigin, startTracker } from './support/local-stack.ts';
import { lockForTarball } from './support/offline-lock.ts';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const INSTALL_TIMEOUT_MS = 8 * 60_000;

/** Runs `command` in `cwd` to its end and returns its stdout; any other exit than 0 fails, with its stderr. */
async function succeed(command: string, args: string[], cwd: string): Promise<string> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 0, `${command} ${args.join(' ')} in ${cwd} exited ${code}:\n${stderr}`);
  return stdout;
}

// In a loopback-only namespace (CI) the registry is out of reach: the install takes every package
// from npm's cache, which the checkout's own `npm ci` filled, through a lockfile cut from the
// repository's (support/offline-lock.ts).
const cacheOnly = inLoopbackNamespace() ? '--offline' : '--prefer-offline';

describe('the packed package, installed in an empty folder', () => {
  // Under the system's temporary folder: outside the repository, so no workspace is around it.
  let scratch = '';
  let folder = '';
  let tarballFiles: string[] = [];

  before(async () => {
    scratch = mkdtempSync(join(realpathSync(tmpdir()), 'loadtest-package-'));
    folder = join(scratch, 'empty');
    mkdirSync(folder);
    // The real tarball (prepack builds dist/), and the list of what is in it.
    const packed = await succeed('npm', ['pack', '--json', '--pack-destination', scratch], PACKAGE_DIR);
    const [tarball] = JSON.parse(packed) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarballFiles = tarball!.files.map((file) => file.path);
    const { manifest, lock } = lockForTarball(join(PACKAGE_DIR, '../package-lock.json'), 'loadtest', join(scratch, tarball!.filename));
    writeFileSync(join(folder, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(join(folder, 'package-lock.json'), JSON.stringify(lock, null, 2));
    await succeed('npm', ['ci', cacheOnly, '--no-audit', '--no-fund'], folder);
  }, { timeout: INSTALL_TIMEOUT_MS });

  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('the tarball holds the build (the player SDK\'s bundle for --browsers too), the launcher, README, LICENSE and the result schema; no sources, tests or benches', () => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'bin/swarmcast-loadtest.mjs', 'dist/cli.js', 'dist/load-peer.js', 'dist/viewer.js', 'dist/swarmcast.min.js']) {
      assert.ok(tarballFiles.includes(file), `${file} missing from ${tarballFiles.join(', ')}`);
    }
    assert.equal(readFileSync(join(PACKAGE_DIR, 'LICENSE'), 'utf8'), readFileSync(join(PACKAGE_DIR, '../LICENSE'), 'utf8'), 'the LICENSE shipped is the repository\'s');
    const schemaDir = join(PACKAGE_DIR, 'schema');
    for (const schema of existsSync(schemaDir) ? readdirSync(schemaDir) : []) assert.ok(tarballFiles.includes(`schema/${schema}`), `schema/${schema} missing`);
    const unwanted = tarballFiles.filter((file) => /^(src|test|bench|scripts|node_modules)\//.test(file) || file === 'bin/source-condition.mjs');
    assert.deepEqual(unwanted, []);
  });

  test('it installs as a package of its own: no workspace around it, none of the workspace packages or build tools', async () => {
    assert.equal((await succeed('npm', ['prefix'], folder)).trim(), folder);
    assert.deepEqual(readdirSync(join(folder, 'node_modules/@swarmcast')), ['loadtest']);
    for (const absent of ['tsx', 'esbuild', 'p2p-media-loader-core']) assert.ok(!existsSync(join(folder, 'node_modules', absent)), `${absent} was installed`);
    for (const present of ['commander', 'ws', '@roamhq/wrtc', 'playwright-core', 'hls.js']) assert.ok(existsSync(join(folder, 'node_modules', present)), `${present} was not installed`);
  });

  test('`npx swarmcast-loadtest --help` lists the scenarios and `event --help` the options', async () => {
    const help = await succeed('npx', ['--no', '--', 'swarmcast-loadtest', '--help'], folder);
    for (const scenario of ['origin', 'tracker', 'event', 'simulate']) assert.match(help, new RegExp(`${scenario} \\[options\\]`));
    assert.match(help, /merge \[options\] <results\.\.\.>/);
    const event = await succeed('npx', ['--no', '--', 'swarmcast-loadtest', 'event', '--help'], folder);
    assert.match(event, /--viewers <n>/);
    const { version } = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };
    assert.equal((await succeed('npx', ['--no', '--', 'swarmcast-loadtest', '--version'], folder)).trim(), version);
  });

  test('a tracker run forks its load processes from the build', { timeout: 60_000 }, async (t) => {
    const tracker = await startTracker();
    t.after(() => tracker.close());
    const out = join(scratch, 'tracker.json');
    await succeed('npx', ['--no', '--', 'swarmcast-loadtest', 'tracker', '--tracker', tracker.url, '--peers', '40', '--processes', '2', '--duration', '2', '--out', out], folder);
    const result = readResult(out);
    assert.equal(figure(result, 'peers joined'), 40);
    assert.equal(figure(result, 'connections held'), 40);
    assert.equal(figure(result, 'failures'), 0);
  });

  test('an HTTP-only event run starts its viewers from the build', { timeout: 90_000 }, async (t) => {
    const origin = await startOrigin();
    const tracker = await startTracker();
    t.after(() => Promise.all([origin.close(), tracker.close()]));
    const out = join(scratch, 'event.json');
    // HTTP only: outside a loopback-only namespace the viewers must not open WebRTC connections.
    await succeed('npx', ['--no', '--', 'swarmcast-loadtest', 'event', '--origin', origin.url, '--tracker', tracker.url, '--viewers', '2', '--duration', '8', '--ramp', '1', '--no-p2p', '--out', out], folder);
    const result = readResult(out);
    assert.equal(figure(result, 'viewers'), 2);
    assert.ok(figure(result, 'segments') > 0);
  });
});
