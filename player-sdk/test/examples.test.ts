/**
 * The bring-your-own-player examples (`examples/<name>/`: small Vite projects for plain hls.js,
 * Plyr, Vidstack and Media Chrome), each built with its own Vite config the way its README says
 * (the SDK by name through its package exports, i.e. dist/) and played by two Chromium viewers:
 * the second must get segments from the first.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import type { SwarmcastStats } from '../src/stats.ts';
import { sleep, waitFor } from '@swarmcast/testkit';
import { inChromiumNamespace, launchChromium, newWebRtcContext, type BrowserHandle } from '@swarmcast/testkit/chromium';
import { LIVE_SRC_PATH, startStack, type Stack } from './harness.ts';

const examplesDir = fileURLToPath(new URL('../examples/', import.meta.url));
const sdkSourcesDir = fileURLToPath(new URL('../src/', import.meta.url));
/** Every example is a folder with its own Vite config (`shared/` is the page helper they import). */
const EXAMPLES = (await readdir(examplesDir)).filter((name) => existsSync(join(examplesDir, name, 'vite.config.ts'))).sort();
const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
/** How long two viewers get to exchange a segment: a few live segments, generous for a loaded machine. */
const P2P_WITHIN_MS = 60_000;
/** hls.js alone is ~400 kB minified and each example is one page: one chunk is the point, not a warning. */
const CHUNK_SIZE_WARNING_KB = 2048;

/** Builds `name` with its own vite.config.ts into `outDir`; returns the ids of the modules in its bundle. */
async function buildExample(name: string, outDir: string): Promise<string[]> {
  const root = join(examplesDir, name);
  const result = await build({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: CHUNK_SIZE_WARNING_KB },
  });
  assert.ok(!('on' in result), 'a build, not a watcher');
  return (Array.isArray(result) ? result : [result]).flatMap((output) => output.output.flatMap((file) => (file.type === 'chunk' ? file.moduleIds : [])));
}

/** A static host for the built examples: `/<name>/…` from `<root>/<name>/…`, nothing outside it. */
function serveStatic(root: string): Server {
  return createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname);
    const path = join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    if (!path.startsWith(root + sep)) return void response.writeHead(404).end();
    readFile(path).then(
      (body) => response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
}

await inChromiumNamespace('player examples in Chromium', fileURLToPath(import.meta.url), () => {
  describe('player examples in Chromium (loopback namespace)', { timeout: 6 * 60_000 }, () => {
    let stack: Stack;
    let browser: BrowserHandle;
    let site: Server;
    let siteUrl: string;
    let siteRoot: string;
    const bundledModules = new Map<string, string[]>();
    before(async () => {
      // The stack builds the SDK's dist/ first: the examples' builds resolve the package to it.
      stack = await startStack();
      siteRoot = await mkdtemp(join(tmpdir(), 'swarmcast-examples-'));
      const buildStarted = performance.now();
      for (const name of EXAMPLES) bundledModules.set(name, await buildExample(name, join(siteRoot, name)));
      console.log(`  built ${EXAMPLES.length} examples with Vite in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s`);
      site = serveStatic(siteRoot);
      await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
      siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await new Promise((resolve) => site?.close(resolve));
      await stack?.close();
      if (siteRoot) await rm(siteRoot, { recursive: true, force: true });
    });

    test('there are the four examples, and each bundles the SDK from its package exports (dist/), never its sources', () => {
      assert.deepEqual(EXAMPLES, ['hlsjs', 'media-chrome', 'plyr', 'vidstack']);
      for (const name of EXAMPLES) {
        const modules = bundledModules.get(name)!;
        assert.ok(
          modules.some((id) => id.includes(`${sep}player-sdk${sep}dist${sep}esm${sep}`)),
          `${name}: no module from the SDK's dist/esm in ${modules.length} modules`,
        );
        assert.deepEqual(
          modules.filter((id) => id.startsWith(sdkSourcesDir)),
          [],
          `${name} bundled the SDK's sources`,
        );
      }
    });

    for (const name of EXAMPLES) {
      test(`${name}: two viewers play the live sample and share segments over P2P`, async () => {
        const query = new URLSearchParams({ src: `${stack.originUrl}${LIVE_SRC_PATH}`, tracker: stack.trackerUrl, ice: 'none' });
        const viewers: Array<{ context: BrowserContext; page: Page; pageErrors: string[]; failedRequests: string[] }> = [];
        for (let i = 0; i < 2; i++) {
          const context = await newWebRtcContext(browser.browser, siteUrl);
          const page = await context.newPage();
          const pageErrors: string[] = [];
          const failedRequests: string[] = [];
          page.on('pageerror', (error) => pageErrors.push(`${error.message} ${error.stack ?? ''}`.slice(0, 400)));
          // The page's own files (scripts, styles, icons) must all be in the build: a site has no node_modules to fall back on.
          page.on('response', (response) => {
            if (response.url().startsWith(siteUrl) && response.status() >= 400) failedRequests.push(`${response.status()} ${response.url()}`);
          });
          await page.goto(`${siteUrl}/${name}/?${query}`);
          viewers.push({ context, page, pageErrors, failedRequests });
          await sleep(2000);
        }
        const statsOf = (i: number) => viewers[i]!.page.evaluate(() => (window as unknown as { swarmcast?: { stats(): SwarmcastStats } }).swarmcast?.stats() ?? null);
        const stats = await waitFor(
          () => Promise.all(viewers.map((_, i) => statsOf(i))),
          (all) => all.some((s) => (s?.p2pBytes ?? 0) > 0) && all.every((s) => (s?.httpBytes ?? 0) + (s?.p2pBytes ?? 0) > 0),
          { timeoutMs: P2P_WITHIN_MS, intervalMs: 1000 },
        );
        const played = await Promise.all(viewers.map((viewer) => viewer.page.evaluate(() => document.querySelector('video')?.currentTime ?? 0)));
        for (const viewer of viewers) await viewer.context.close();
        console.log(`  ${name}: ${stats.map((s, i) => `viewer ${i}: ${s?.mode} http ${s?.httpBytes} B, p2p ${s?.p2pBytes} B, offload ${s?.offloadPercent}%, played ${played[i]!.toFixed(1)} s`).join('; ')}`);
        assert.deepEqual(viewers.flatMap((viewer) => viewer.pageErrors), [], 'the page threw');
        assert.deepEqual(viewers.flatMap((viewer) => viewer.failedRequests), [], 'the page asked the site for a file the build does not have');
        assert.ok(stats.every((s) => s?.mode === 'p2p'), 'every viewer runs Swarmcast in P2P mode');
        assert.ok(played.every((seconds) => seconds > 0), 'every viewer plays');
        assert.ok(stats.some((s) => (s?.p2pBytes ?? 0) > 0 && (s?.offloadPercent ?? 0) > 0), 'no viewer got a segment from the other');
      });
    }

    test('the examples’ viewers sent audience telemetry (beats start once hls.js has a playlist and a <video>)', async () => {
      const trackerHttp = stack.trackerUrl.replace(/^ws/, 'http');
      const { streams } = (await (await fetch(`${trackerHttp}/dashboard/api/streams`)).json()) as { streams: Array<{ stream: string }> };
      assert.ok(
        streams.some((entry) => entry.stream === `${stack.originUrl}${LIVE_SRC_PATH}`),
        `no beats for the live stream: ${JSON.stringify(streams.map((entry) => entry.stream))}`,
      );
    });
  });
});
