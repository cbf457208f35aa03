// p2p-media-loader-core 2.3.1 is patched at install (patches/, see the README): it took any
// playback update that moved more than half a segment for a seek and fetched the segment the
// player waits for over HTTP at once, outside every HTTP window. Chromium fires `timeupdate` about
// once a second in a busy or background tab, so with 2 s segments plain playback did that: in the
// 4-viewer Chromium bench relays fetched new segments at the live edge. Tested on the real core
// through its public API, in both forms we ship it in: its browser bundle (`dist/`, as the load
// tester's viewers load it) and built from its TypeScript sources (`src/`, as the player SDK's
// bundles take it); on a clock the test moves (the patch reads `performance.now()`), so a loaded
// machine changes nothing.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { before, describe, test, type TestContext } from 'node:test';
import { installBrowserGlobals } from '../src/viewer/browser-globals.ts';

const SEGMENT_SEC = 2;

type CoreModule = typeof import('p2p-media-loader-core');
type CoreClass = CoreModule['Core'];

const coreEntry = import.meta.resolve('p2p-media-loader-core');

/** The bundle, as the viewers load it (the default entry needs `debug`, which Node's ESM loader cannot load). */
async function coreFromBundle(): Promise<CoreClass> {
  return ((await import(new URL('../dist/p2p-media-loader-core.es.js', coreEntry).href)) as CoreModule).Core;
}

/**
 * The core's TypeScript sources bundled with its dependencies, written under node_modules/.cache
 * so what stays a package import resolves as the core's own would.
 */
async function coreFromSources(): Promise<CoreClass> {
  const built = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', coreEntry))],
    bundle: true,
    format: 'esm',
    platform: 'node',
    // As the player's build has it: the tracker client asks for a listening port outside a browser.
    define: { 'process.browser': 'true' },
    // Native addons stay packages (ws loads them if it can).
    external: ['bufferutil', 'utf-8-validate'],
    // CommonJS dependencies (`debug`, `ws`) require Node's built-ins.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    write: false,
    logLevel: 'warning',
  });
  const cache = new URL('../../.cache/swarmcast-test/', coreEntry);
  await mkdir(cache, { recursive: true });
  const file = new URL(`p2p-media-loader-core-src-${process.pid}.mjs`, cache);
  await writeFile(file, built.outputFiles[0]!.contents);
  try {
    return ((await import(file.href)) as CoreModule).Core;
  } finally {
    await rm(file, { force: true });
  }
}

before(() => installBrowserGlobals());

/** The core acts on a playback update in microtasks (its queue, then `fetch`); setImmediate is after them. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A core of its own (own origin, own clock) on a 10-segment stream, HTTP only within 1 s of the
 * playhead, no tracker (no peers): segment 0 played, the player at 0.5 s and waiting for segment 4
 * (8 s), which its window does not reach yet.
 */
async function viewerAwaitingSegment4(Core: CoreClass, t: TestContext) {
  const requested: string[] = [];
  const server = createServer((request, response) => {
    requested.push(request.url ?? '');
    response.end(Buffer.alloc(1000));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  let clockMs = 0;
  t.mock.method(performance, 'now', () => clockMs);

  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const core = new Core({ highDemandTimeWindow: 1, httpDownloadTimeWindow: 1, p2pDownloadTimeWindow: 1, simultaneousHttpDownloads: 1, announceTrackers: [] });
  t.after(() => core.destroy());
  const httpStarts: number[] = [];
  core.addEventListener('onSegmentStart', ({ segment, downloadSource }) => {
    if (downloadSource === 'http') httpStarts.push(segment.externalId);
  });
  core.setManifestResponseUrl(`${base}/index.m3u8`);
  core.addStreamIfNoneExists({ runtimeId: 'main', type: 'main', index: '0' });
  core.updateStream(
    'main',
    Array.from({ length: 10 }, (_, index) => ({ runtimeId: `${base}/${index}.ts`, externalId: index, url: `${base}/${index}.ts`, startTime: index * SEGMENT_SEC, endTime: (index + 1) * SEGMENT_SEC })),
  );
  const load = (index: number) => new Promise<boolean>((resolve) => void core.loadSegment(`${base}/${index}.ts`, { onSuccess: () => resolve(true), onError: () => resolve(false) }));

  assert.equal(await load(0), true);
  core.updatePlayback(0.5, 1);
  const segment4 = load(4);
  await settle();
  assert.deepEqual(httpStarts, [0], 'segment 4, 7.5 s ahead, waits outside the 1 s HTTP window');
  return {
    requested,
    httpStarts,
    segment4,
    /** `elapsedMs` later the player reports `position`; returns once the core has acted on it. */
    async playbackUpdate(elapsedMs: number, position: number) {
      clockMs += elapsedMs;
      core.updatePlayback(position, 1);
      await settle();
    },
  };
}

for (const [form, loadCore] of [
  ['its browser bundle (dist/)', coreFromBundle],
  ['built from its sources (src/)', coreFromSources],
] as const) {
  describe(`p2p-media-loader-core, ${form}`, () => {
    test('playing on with a playback update only every 1.2 s is not a seek: the awaited segment waits for its window', async (t) => {
      const viewer = await viewerAwaitingSegment4(await loadCore(), t);
      await viewer.playbackUpdate(1200, 1.7); // 1.2 s of media in 1.2 s: more than half a segment, as a sparse timeupdate
      assert.deepEqual(viewer.httpStarts, [0], 'segment 4 was fetched over HTTP outside its window');
      assert.deepEqual(viewer.requested, ['/0.ts']);

      // The positive control, on the same core and observed the same way: a jump beyond the media time
      // elapsed (2.6 s in 1.2 s, still 3.7 s short of segment 4) is a seek and loads it at once.
      await viewer.playbackUpdate(1200, 4.3);
      assert.deepEqual(viewer.httpStarts, [0, 4], 'a real seek loads the awaited segment at once');
      assert.equal(await viewer.segment4, true);
      assert.deepEqual(viewer.requested, ['/0.ts', '/4.ts']);
    });
  });
}
