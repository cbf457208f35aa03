/**
 * The drop-in for p2p-media-loader users, in Chromium through the `<script>` bundle's public API
 * (`Swarmcast.swarmcastHls` over the page's own hls.js, `window.Hls`): per-instance
 * `p2p: { core, onHlsJsCreated }` as p2p-media-loader-hlsjs's `injectMixin` class takes it, the
 * pass-through options held against the policy's re-planning, owned options ignored with one
 * warning, and p2p-media-loader's events forwarded on the handle during a real two-viewer P2P
 * session (real WebRTC, loopback-only namespace; UDP dropped by nftables gives peererror),
 * with segment requests that hang and fail (segmentabort, segmenterror), and against a tracker that
 * refuses.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page, Route } from 'playwright-core';
import { sleep, waitFor } from '@swarmcast/testkit';
import { inChromiumNamespace, newWebRtcContext, type BrowserHandle } from '@swarmcast/testkit/chromium';
import { chromiumSuite, LIVE_SRC_PATH, ONLINE_SCRIPT, VOD_SRC_PATH, type Stack } from './harness.ts';

/** The page's own hls.js (UMD: `window.Hls`), as a site that used p2p-media-loader already loads it. */
const HLS_UMD = createRequire(import.meta.url).resolve('hls.js');
/** Generous for a loaded 2-core machine: peers connect and exchange a few live segments. */
const P2P_WITHIN_MS = 90_000;
/** Every p2p-media-loader event's name on the handle. */
const FORWARDED = ['segmentstart', 'segment', 'segmenterror', 'segmentabort', 'peer', 'peererror', 'chunkdownload', 'chunkupload', 'trackererror', 'trackerwarning'];

/** What a page recorded of one instance's events: counts, the first payload, and bytes by source. */
interface Recorded {
  count: Record<string, number>;
  first: Record<string, Record<string, unknown>>;
  bytes: { downloadHttp: number; downloadP2p: number; upload: number };
}

/**
 * Page-script source: `window.record(hls)` records every forwarded event of an instance in
 * `window.recorded[i]` (a string, not a function: tsx would wrap a function's name in a helper the page lacks).
 */
const RECORDER_SOURCE = `window.recorded = []; window.record = (hls) => {
  const r = { count: {}, first: {}, bytes: { downloadHttp: 0, downloadP2p: 0, upload: 0 } };
  window.recorded.push(r);
  for (const name of ${JSON.stringify(FORWARDED)}) hls.swarmcast.on(name, (e) => {
    r.count[name] = (r.count[name] ?? 0) + 1;
    r.first[name] ??= e;
    if (name === 'chunkdownload') r.bytes[e.source === 'p2p' ? 'downloadP2p' : 'downloadHttp'] += e.bytes;
    if (name === 'chunkupload') r.bytes.upload += e.bytes;
  });
};`;

/** A page on the origin with the SDK's bundle, the page's hls.js, the recorder, and its console warnings collected. */
async function openPage(browser: BrowserHandle, stack: Stack): Promise<{ page: Page; warnings: string[]; close(): Promise<void> }> {
  const context = await newWebRtcContext(browser.browser, stack.originUrl);
  const page = await context.newPage();
  const warnings: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'warning') warnings.push(message.text());
  });
  await page.addInitScript(ONLINE_SCRIPT);
  await page.goto(`${stack.originUrl}/`);
  await page.addScriptTag({ path: HLS_UMD });
  await page.evaluate(RECORDER_SOURCE);
  return { page, warnings, close: () => context.close() };
}

/**
 * Page-script source: one `SwarmcastHls` class on `trackers` (`window.SwarmcastHls`), and a function that
 * plays the live sample (or `srcPath`) on a new <video> with an instance built from `p2p` and hls.js `config` (`window.play(p2p, config?)` → its index).
 */
function classSource(stack: Stack, trackers: string[], srcPath = LIVE_SRC_PATH): string {
  return `window.SwarmcastHls = Swarmcast.swarmcastHls(Hls, { trackers: ${JSON.stringify(trackers)}, rtcConfig: { iceServers: [] }, level: 0 });
  window.instances = []; window.created = [];
  window.play = (core, config = {}) => {
    const video = document.body.appendChild(Object.assign(document.createElement('video'), { muted: true }));
    const hls = new SwarmcastHls({ ...config, p2p: { core, onHlsJsCreated: (instance) => window.created.push(instance) } });
    window.instances.push(hls);
    window.record(hls);
    hls.attachMedia(video);
    hls.loadSource(${JSON.stringify(`${stack.originUrl}${srcPath}`)});
    video.play().catch(() => undefined);
    return window.instances.length - 1;
  };`;
}

/** Instance `i`'s main-stream core config as its engine reports it. */
const mainConfig = (page: Page, i: number) =>
  page.evaluate((index) => (window as unknown as { instances: Array<{ swarmcast: { engine: { getConfig(): { core: { mainStream: Record<string, unknown> } } } } }> }).instances[index]!.swarmcast.engine.getConfig().core.mainStream, i);

/** The nftables table that drops UDP (WebRTC) in this test's namespace; only ever created inside it (`inChromiumNamespace`). */
const DROP_UDP_TABLE = 'swarmcast_dropin_udp';
const dropUdp = () => execFileSync('nft', ['-f', '-'], { input: `table inet ${DROP_UDP_TABLE} {\n chain out {\n  type filter hook output priority 0;\n  meta l4proto udp drop\n }\n}\n` });
/** Undoes {@link dropUdp}; nothing to undo when it never ran. */
function allowUdp(): void {
  try {
    execFileSync('nft', ['delete', 'table', 'inet', DROP_UDP_TABLE], { stdio: 'ignore' });
  } catch {}
}

const recordedOf = (page: Page, i: number) => page.evaluate((index) => (window as unknown as { recorded: Recorded[] }).recorded[index]!, i);

await inChromiumNamespace('drop-in for p2p-media-loader users in Chromium', fileURLToPath(import.meta.url), () => {
  describe('drop-in for p2p-media-loader users in Chromium (loopback namespace)', { timeout: 6 * 60_000 }, () => {
    const suite = chromiumSuite();

    test('two instances on one page keep their own p2p.core; an owned option is ignored with one warning; a bad value is an OptionError', async () => {
      const { page, warnings, close } = await openPage(suite.browser, suite.stack);
      try {
        await page.evaluate(classSource(suite.stack, [suite.stack.trackerUrl]));
        await page.evaluate(`window.play({ simultaneousP2PDownloads: 5, httpErrorRetries: 7, p2pNotReceivingBytesTimeoutMs: 4000, highDemandTimeWindow: 99 })`);
        await page.evaluate(`window.play({ simultaneousP2PDownloads: 1, httpErrorRetries: 0, mainStream: { p2pErrorRetries: 9 }, highDemandTimeWindow: 99 })`);
        // The policy re-plans every second (simultaneous downloads and the P2P silence timeout are in its plan): read after several plans.
        await waitFor(() => page.evaluate('window.instances.map((h) => h.swarmcast.stats().httpBytes)'), (bytes) => (bytes as number[]).every((b) => b > 0), {
          timeoutMs: 60_000,
          intervalMs: 500,
        });
        await sleep(3000);
        const [first, second] = [await mainConfig(page, 0), await mainConfig(page, 1)];
        assert.deepEqual(
          [first.simultaneousP2PDownloads, first.httpErrorRetries, first.p2pNotReceivingBytesTimeoutMs],
          [5, 7, 4000],
          'the first instance lost its pass-through options',
        );
        assert.deepEqual([second.simultaneousP2PDownloads, second.httpErrorRetries, second.p2pErrorRetries], [1, 0, 9], 'the second instance lost its pass-through options');
        // Positive control: the policy's own values where the page set none (its P2P silence timeout, p2p-media-loader's retries).
        assert.equal(second.p2pNotReceivingBytesTimeoutMs, 1500);
        assert.equal(first.p2pErrorRetries, 3);
        for (const config of [first, second]) assert.notEqual(config.highDemandTimeWindow, 99, 'an owned option reached the engine');
        assert.equal(warnings.filter((text) => text.includes('p2p.core.highDemandTimeWindow is ignored')).length, 1, `warnings: ${JSON.stringify(warnings)}`);

        const created = await page.evaluate('[window.created.length, window.created.every((h, i) => h === window.instances[i] && h.swarmcast === window.instances[i].swarmcast)]');
        assert.deepEqual(created, [2, true], 'onHlsJsCreated is called once per instance, with it');

        // A migrated page's `hls.p2pEngine` is the engine, and its own listeners hear p2p-media-loader (live: a segment every 2 s).
        const viaAlias = await page.evaluate(`new Promise((resolve) => {
          const hls = window.instances[0];
          if (hls.p2pEngine !== hls.swarmcast.engine || hls.p2pEngine === null) return resolve('not the engine');
          hls.p2pEngine.addEventListener('onSegmentLoaded', ({ downloadSource }) => resolve(downloadSource));
          setTimeout(() => resolve('no onSegmentLoaded within 30 s'), 30000);
        })`);
        assert.ok(viaAlias === 'http' || viaAlias === 'p2p', String(viaAlias));

        const thrown = await page.evaluate(`(() => { try { new SwarmcastHls({ p2p: { core: { httpErrorRetries: -1 } } }); return null; } catch (e) { return [e.name, e.option]; } })()`);
        assert.deepEqual(thrown, ['OptionError', 'p2p.core.httpErrorRetries']);

        // createPlayer's handle reaches the same engine API.
        const playerEngine = await page.evaluate(
          `(() => { const p = Swarmcast.createPlayer(document.body.appendChild(document.createElement('video')), { src: ${JSON.stringify(`${suite.stack.originUrl}${LIVE_SRC_PATH}`)}, trackers: [${JSON.stringify(suite.stack.trackerUrl)}], rtcConfig: { iceServers: [] } });
             const ok = typeof p.engine.getConfig === 'function' && typeof p.engine.addEventListener === 'function'; p.destroy(); return ok; })()`,
        );
        assert.equal(playerEngine, true);
      } finally {
        await page.evaluate('window.instances.forEach((h) => h.destroy())').catch(() => undefined);
        await close();
      }
    });

    test("two viewers sharing over WebRTC get p2p-media-loader's events on the handle", async () => {
      const viewers: Array<Awaited<ReturnType<typeof openPage>>> = [];
      try {
        for (const core of [{ httpErrorRetries: 4 }, { simultaneousP2PDownloads: 2 }]) {
          const viewer = await openPage(suite.browser, suite.stack);
          viewers.push(viewer);
          await viewer.page.evaluate(classSource(suite.stack, [suite.stack.trackerUrl]));
          await viewer.page.evaluate(`window.play(${JSON.stringify(core)})`);
          await sleep(2000);
        }
        const recorded = await waitFor(
          () => Promise.all(viewers.map((viewer) => recordedOf(viewer.page, 0))),
          (all) => all.some((r) => r.bytes.upload > 0) && all.some((r) => r.bytes.downloadP2p > 0),
          { timeoutMs: P2P_WITHIN_MS, intervalMs: 1000 },
        );
        const stats = (await Promise.all(viewers.map((viewer) => viewer.page.evaluate('[window.instances[0].config.enableWorker, window.instances[0].swarmcast.stats().integrity]')))) as Array<
          [boolean, { rejected: number }]
        >;
        console.log(`  events: ${recorded.map((r, i) => `viewer ${i}: ${JSON.stringify(r.count)}`).join('; ')}`);
        // The page's UMD hls.js transmuxes in a worker, which detaches the buffers it is given: peers' segments must still pass the integrity check.
        assert.deepEqual(
          stats.map(([worker, integrity]) => [worker, integrity.rejected]),
          viewers.map(() => [true, 0]),
        );
        for (const [i, r] of recorded.entries()) {
          assert.ok((r.count.segmentstart ?? 0) > 0 && (r.count.segment ?? 0) > 0, `viewer ${i}: no segmentstart or segment`);
          assert.equal(r.first.peer?.state, 'connected', `viewer ${i}: no peer connected`);
          assert.equal(typeof r.first.segmentstart?.url, 'string');
          // From a peer or the origin: a segment hls.js loads itself (before p2p-media-loader knows the stream) has none.
          assert.ok((r.count.chunkdownload ?? 0) > 0, `viewer ${i}: no chunk`);
        }
        assert.ok(recorded.some((r) => r.bytes.downloadP2p > 0 && typeof r.first.chunkdownload === 'object'), 'no chunk from a peer');
        // The upload events are the ones the stats count: equal at one moment.
        for (const viewer of viewers) {
          const [events, stats] = (await viewer.page.evaluate('[window.recorded[0].bytes.upload, window.instances[0].swarmcast.stats().uploadedBytes]')) as [number, number];
          assert.equal(events, stats);
        }
        assert.ok(recorded.some((r) => typeof r.first.chunkupload?.peerId === 'string'), 'an upload names its peer');

        // Packets between the viewers stop (nftables drops UDP in this test's own namespace): the
        // connection fails Chromium's consent checks and p2p-media-loader gives onPeerError.
        // A viewer that leaves cleanly is not a way to provoke it: the other side sees a close, mostly.
        dropUdp();
        const remaining = await waitFor(() => recordedOf(viewers[1]!.page, 0), (r) => (r.count.peererror ?? 0) > 0, { timeoutMs: 90_000, intervalMs: 1000 });
        console.log(`  after packets stopped: ${JSON.stringify(remaining.count)}; peererror ${JSON.stringify(remaining.first.peererror)}`);
        const peerError = remaining.first.peererror;
        assert.ok(peerError, `no peererror after packets stopped: ${JSON.stringify(remaining.count)}`);
        assert.equal(peerError.peerId, recorded[1]!.first.peer?.peerId, 'the error names the peer');
        assert.equal(peerError.streamType, 'main');
        assert.equal(typeof peerError.message, 'string');
      } finally {
        allowUdp();
        for (const viewer of viewers) {
          await viewer.page.evaluate('window.instances.forEach((h) => h.destroy())').catch(() => undefined);
          await viewer.close();
        }
      }
    });

    test('segment requests that hang are given up (segmentabort); an origin answering 503 gives segmenterror', async () => {
      const { page, close } = await openPage(suite.browser, suite.stack);
      // The page's first two segments pass, so it plays; the next requests hang until p2p-media-loader
      // gives them up (it aborts one to make room for a more urgent one); then the origin fails them.
      let passed = 0;
      let failing = false;
      const held: Route[] = [];
      await page.route(`${suite.stack.originUrl}/vod/sample/*/*.ts`, (route) => {
        if (failing) return route.fulfill({ status: 503, body: 'unavailable' });
        if (passed >= 2) return void held.push(route);
        passed++;
        return route.continue();
      });
      try {
        await page.evaluate(classSource(suite.stack, [suite.stack.trackerUrl], VOD_SRC_PATH));
        await page.evaluate('window.play({})');
        const aborted = await waitFor(() => recordedOf(page, 0), (value) => (value.count.segmentabort ?? 0) > 0, { timeoutMs: 60_000, intervalMs: 500 });
        // A hung request may already have failed as `bytes-receiving-timeout`: from here on, the origin's 503s.
        await page.evaluate(`window.failures = []; window.instances[0].swarmcast.on('segmenterror', (e) => window.failures.push(e))`);
        failing = true;
        const failures = await waitFor(
          () => page.evaluate('window.failures') as Promise<Array<Record<string, unknown>>>,
          (value) => value.some((failure) => failure.reason === 'http-error'),
          { timeoutMs: 60_000, intervalMs: 500 },
        );
        const r = await recordedOf(page, 0);
        console.log(`  ${held.length} requests held; events: ${JSON.stringify(r.count)}; first abort ${JSON.stringify(r.first.segmentabort)}; errors after the origin failed ${JSON.stringify(failures.slice(0, 2))}`);
        const abort = aborted.first.segmentabort;
        assert.ok(abort, `no segmentabort while requests hang: ${JSON.stringify(aborted.count)}`);
        assert.ok(held.length > 0);
        assert.match(String(abort.url), /\/vod\/sample\/.+\.ts$/);
        assert.equal(abort.source, 'http');
        assert.equal(abort.streamType, 'main');
        const error = failures.find((failure) => failure.reason === 'http-error');
        assert.ok(error, `no segmenterror with reason http-error from the failing origin: ${JSON.stringify(failures)}`);
        assert.equal(error.source, 'http');
        assert.equal(error.streamType, 'main');
        assert.equal(typeof error.message, 'string');
        assert.match(String(error.url), /\/vod\/sample\/.+\.ts$/);
      } finally {
        await page.evaluate('window.instances.forEach((h) => h.destroy())').catch(() => undefined);
        await close();
      }
    });

    test('a tracker that refuses connections gives trackerwarning or trackererror (and error with code tracker)', async () => {
      const { page, close } = await openPage(suite.browser, suite.stack);
      try {
        // A port nothing listens on inside the namespace: the WebSocket is refused.
        await page.evaluate(classSource(suite.stack, ['ws://127.0.0.1:9']));
        await page.evaluate(`window.errors = []; window.play({}); window.instances[0].swarmcast.on('error', (e) => window.errors.push(e))`);
        const r = await waitFor(
          () => recordedOf(page, 0),
          (value) => (value.count.trackerwarning ?? 0) + (value.count.trackererror ?? 0) > 0,
          { timeoutMs: 60_000, intervalMs: 500 },
        );
        const event = r.first.trackerwarning ?? r.first.trackererror;
        assert.ok(event, `no tracker event: ${JSON.stringify(r.count)}`);
        assert.equal(event.streamType, 'main');
        assert.equal(typeof event.message, 'string');
        const codes = (await page.evaluate('window.errors.map((e) => e.code)')) as string[];
        assert.ok(codes.includes('tracker'), 'the error event still comes with it');
      } finally {
        await page.evaluate('window.instances.forEach((h) => h.destroy())').catch(() => undefined);
        await close();
      }
    });
  });
});
