/**
 * The bring-your-own-player examples (`examples/`: plain hls.js, Plyr, Vidstack), built the way a
 * site would build them (esbuild, the package by name through its exports) and played by two
 * Chromium viewers each: the second must get segments from the first.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import type { SwarmcastStats } from '../src/stats.ts';
import { sleep, waitFor } from '@swarmcast/testkit';
import { inChromiumNamespace, launchChromium, newWebRtcContext, type BrowserHandle } from '@swarmcast/testkit/chromium';
import { LIVE_SRC_PATH, startStack, type Stack } from './harness.ts';

const EXAMPLES = ['hlsjs', 'plyr', 'vidstack'] as const;
const CONTENT_TYPES: Record<string, string> = { js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };
const require = createRequire(import.meta.url);
/** Files a site copies next to the page from a package (Plyr's icon sprite: the package does not export it). */
const HOSTED: Partial<Record<(typeof EXAMPLES)[number], Record<string, string>>> = {
  plyr: { 'plyr.svg': join(dirname(require.resolve('plyr')), 'plyr.svg') },
};
const examplesDir = fileURLToPath(new URL('../examples/', import.meta.url));
/** How long two viewers get to exchange a segment: a few live segments, generous for a loaded machine. */
const P2P_WITHIN_MS = 60_000;

/** Each example's page, script and styles, as a static site would serve them. */
async function buildExamples(): Promise<Map<string, { body: string | Uint8Array; type: string }>> {
  const files = new Map<string, { body: string | Uint8Array; type: string }>();
  for (const name of EXAMPLES) {
    const result = await build({
      entryPoints: [`${examplesDir}${name}/main.ts`],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      outdir: '/virtual',
      write: false,
      minify: false,
      define: { 'process.env.NODE_ENV': '"production"' },
      // Not player-sdk's tsconfig: its `paths` point at the sources; a site resolves the package's exports (dist/).
      tsconfigRaw: {},
      logLevel: 'warning',
    });
    for (const output of result.outputFiles) {
      const file = output.path.split('/').pop()!;
      files.set(`/${name}/${file}`, { body: output.contents, type: CONTENT_TYPES[file.split('.').pop()!] ?? 'application/octet-stream' });
    }
    files.set(`/${name}/`, { body: await readFile(`${examplesDir}${name}/index.html`, 'utf8'), type: 'text/html' });
    for (const [file, path] of Object.entries(HOSTED[name] ?? {})) files.set(`/${name}/${file}`, { body: await readFile(path), type: CONTENT_TYPES[file.split('.').pop()!]! });
  }
  return files;
}

await inChromiumNamespace('player examples in Chromium', fileURLToPath(import.meta.url), () => {
  describe('player examples in Chromium (loopback namespace)', { timeout: 6 * 60_000 }, () => {
    let stack: Stack;
    let browser: BrowserHandle;
    let site: Server;
    let siteUrl: string;
    before(async () => {
      stack = await startStack();
      const files = await buildExamples();
      site = createServer((request, response) => {
        const file = files.get((request.url ?? '/').split('?', 1)[0]!);
        if (!file) return void response.writeHead(404).end();
        response.writeHead(200, { 'content-type': file.type }).end(file.body);
      });
      await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
      siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await new Promise((resolve) => site?.close(resolve));
      await stack?.close();
    });

    for (const name of EXAMPLES) {
      test(`${name}: two viewers play the live sample and share segments over P2P`, async () => {
        const query = new URLSearchParams({ src: `${stack.originUrl}${LIVE_SRC_PATH}`, tracker: stack.trackerUrl, ice: 'none' });
        const viewers: Array<{ context: BrowserContext; page: Page; pageErrors: string[] }> = [];
        for (let i = 0; i < 2; i++) {
          const context = await newWebRtcContext(browser.browser, siteUrl);
          const page = await context.newPage();
          const pageErrors: string[] = [];
          page.on('pageerror', (error) => pageErrors.push(`${error.message} ${error.stack ?? ''}`.slice(0, 400)));
          await page.goto(`${siteUrl}/${name}/?${query}`);
          viewers.push({ context, page, pageErrors });
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
