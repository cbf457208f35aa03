// p2p-media-loader-core 2.3.1 is patched at install (patches/, see the README): it took any
// playback update that moved more than half a segment for a seek and fetched the segment the
// player waits for over HTTP at once, outside every HTTP window. Chromium fires `timeupdate` about
// once a second in a busy or background tab, so with 2 s segments plain playback did that: in the
// 4-viewer Chromium bench relays fetched new segments at the live edge. Tested on the real core
// (its browser bundle, as the player and the load tester use it), through its public API.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { sleep, until } from '@swarmcast/testkit';
import { installBrowserGlobals } from '../src/viewer/browser-globals.ts';

const SEGMENT_SEC = 2;
const requested: string[] = [];
const server = createServer((request, response) => {
  requested.push(request.url ?? '');
  response.end(Buffer.alloc(1000));
});

type CoreModule = typeof import('p2p-media-loader-core');
let Core: CoreModule['Core'];

before(async () => {
  // The bundle, as the viewers load it (the default entry needs `debug`, which Node's ESM loader cannot load).
  installBrowserGlobals();
  const bundle = new URL('../dist/p2p-media-loader-core.es.js', import.meta.resolve('p2p-media-loader-core'));
  ({ Core } = (await import(bundle.href)) as CoreModule);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
after(() => server.close());

/** A core on a 10-segment stream, HTTP only within 1 s of the playhead, no tracker (no peers). */
function coreOnStream() {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const core = new Core({ highDemandTimeWindow: 1, httpDownloadTimeWindow: 1, p2pDownloadTimeWindow: 1, simultaneousHttpDownloads: 1, announceTrackers: [] });
  core.setManifestResponseUrl(`${base}/index.m3u8`);
  core.addStreamIfNoneExists({ runtimeId: 'main', type: 'main', index: '0' });
  core.updateStream(
    'main',
    Array.from({ length: 10 }, (_, index) => ({ runtimeId: `${base}/${index}.ts`, externalId: index, url: `${base}/${index}.ts`, startTime: index * SEGMENT_SEC, endTime: (index + 1) * SEGMENT_SEC })),
  );
  const load = (index: number) => new Promise<void>((resolve) => void core.loadSegment(`${base}/${index}.ts`, { onSuccess: () => resolve(), onError: () => resolve() }));
  return { core, load };
}

test('playing on with a playback update only every 1.2 s is not a seek: the awaited segment waits for its window', async (t) => {
  const { core, load } = coreOnStream();
  t.after(() => core.destroy());
  await load(0);
  core.updatePlayback(0.5, 1);
  void load(4); // 7.5 s ahead: outside the 1 s HTTP window
  await sleep(1200);
  core.updatePlayback(1.7, 1); // 1.2 s of media in 1.2 s: more than half a segment, as a sparse timeupdate
  await sleep(500);
  assert.deepEqual(requested.filter((url) => url === '/4.ts'), [], 'segment 4 was fetched over HTTP outside its window');
});

test('a real seek still loads the awaited segment at once', async (t) => {
  requested.length = 0;
  const { core, load } = coreOnStream();
  t.after(() => core.destroy());
  await load(0);
  core.updatePlayback(0.5, 1);
  void load(4);
  await sleep(100);
  core.updatePlayback(6.5, 1); // 6 s of media in a moment
  await until(() => requested.includes('/4.ts'), 'segment 4 over HTTP after the seek', { timeoutMs: 5000, intervalMs: 50 });
});
