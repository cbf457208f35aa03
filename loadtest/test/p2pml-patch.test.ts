// p2p-media-loader-core 2.3.1 is patched at install (patches/, see the README): it took any
// playback update that moved more than half a segment for a seek and fetched the segment the
// player waits for over HTTP at once, outside every HTTP window. Chromium fires `timeupdate` about
// once a second in a busy or background tab, so with 2 s segments plain playback did that: in the
// 4-viewer Chromium bench relays fetched new segments at the live edge. Tested on the real core
// (its browser bundle, as the player and the load tester use it), through its public API, on a
// clock the test moves (the patch reads `performance.now()`), so a loaded machine changes nothing.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { before, test, type TestContext } from 'node:test';
import { installBrowserGlobals } from '../src/viewer/browser-globals.ts';

const SEGMENT_SEC = 2;

type CoreModule = typeof import('p2p-media-loader-core');
let Core: CoreModule['Core'];

before(async () => {
  // The bundle, as the viewers load it (the default entry needs `debug`, which Node's ESM loader cannot load).
  installBrowserGlobals();
  const bundle = new URL('../dist/p2p-media-loader-core.es.js', import.meta.resolve('p2p-media-loader-core'));
  ({ Core } = (await import(bundle.href)) as CoreModule);
});

/** The core acts on a playback update in microtasks (its queue, then `fetch`); setImmediate is after them. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A core of its own (own origin, own clock) on a 10-segment stream, HTTP only within 1 s of the
 * playhead, no tracker (no peers): segment 0 played, the player at 0.5 s and waiting for segment 4
 * (8 s), which its window does not reach yet.
 */
async function viewerAwaitingSegment4(t: TestContext) {
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

test('playing on with a playback update only every 1.2 s is not a seek: the awaited segment waits for its window', async (t) => {
  const viewer = await viewerAwaitingSegment4(t);
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
