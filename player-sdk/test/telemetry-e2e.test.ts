/**
 * Telemetry end to end in headless Chromium: two live viewers beat to the tracker's collector,
 * the dashboard API counts them with their bytes, the dashboard page draws non-zero figures and
 * charts, and a destroyed player stops counting at once. Same namespace rules as e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sleep, waitFor } from '@swarmcast/testkit';
import { inChromiumNamespace, launchChromium, type BrowserHandle } from '@swarmcast/testkit/chromium';
import { LIVE_SRC_PATH, openViewer, startStack, type Stack, type Viewer } from './harness.ts';

/** How long the two viewers may take to report every figure the test reads. */
const FIGURES_WITHIN_MS = 60_000;
const BEAT_MS = 5000;

interface Figures {
  stream: string;
  viewers: number;
  httpBytes: number;
  p2pBytes: number;
  watchMs: number;
  startupMs: { count: number; p50: number | null };
  latencyMs: { count: number; p50: number | null };
  renditions: Array<{ rendition: string }>;
}

interface PageProbe {
  viewers: string;
  offload: string;
  saved: string;
  startup: string;
  latency: string;
  rows: number;
  charts: Record<'viewers' | 'egress' | 'latency', { length: number; height: number } | null>;
}

/** Read in the dashboard page; a string, so the test's TypeScript transform (which adds helpers like __name) never touches it. */
const PAGE_PROBE = `(() => {
  const text = (name) => document.querySelector('[data-figure="' + name + '"]')?.textContent ?? '';
  const path = (name) => {
    const element = document.querySelector('path[data-chart="' + name + '"]');
    return element ? { length: element.getTotalLength(), height: element.getBBox().height } : null;
  };
  return {
    viewers: text('viewers'), offload: text('offload'), saved: text('saved'), startup: text('startup'), latency: text('latency'),
    rows: document.querySelectorAll('#streams tr').length,
    charts: { viewers: path('viewers'), egress: path('egress'), latency: path('latency') },
  };
})()`;

await inChromiumNamespace('telemetry in Chromium', fileURLToPath(import.meta.url), () => {
  // Each test has a collector of its own, so the short one runs beside the 40 s session instead of after it.
  describe('telemetry in Chromium (loopback namespace)', { timeout: 4 * 60_000, concurrency: true }, () => {
    let browser: BrowserHandle;
    before(async () => {
      browser = await launchChromium();
    });
    after(() => browser?.close());

    /** A tracker (collector) and origin for one test, closed with its viewers. */
    const startTestStack = async (t: TestContext): Promise<{ stack: Stack; viewers: Viewer[] }> => {
      const stack = await startStack();
      const viewers: Viewer[] = [];
      t.after(async () => {
        for (const viewer of viewers) await viewer.close().catch(() => undefined);
        await stack.close();
      });
      return { stack, viewers };
    };
    const trackerHttp = (stack: Stack) => stack.trackerUrl.replace(/^ws/, 'http');

    const streamFigures = async (stack: Stack): Promise<Figures | undefined> => {
      const list = (await (await fetch(`${trackerHttp(stack)}/dashboard/api/streams`)).json()) as { streams: Figures[] };
      return list.streams.find((s) => s.stream === `${stack.originUrl}${LIVE_SRC_PATH}`);
    };

    /** Polls the dashboard API until it counts `count` viewers of the live stream. */
    const countsViewers = async (stack: Stack, count: number, withinMs: number, failure: string): Promise<void> => {
      const deadline = Date.now() + withinMs;
      while ((await streamFigures(stack))?.viewers !== count) {
        assert.ok(Date.now() < deadline, failure);
        await sleep(250);
      }
    };

    test('two live viewers reach the collector; the dashboard shows them with non-zero figures and charts', async (t) => {
      const { stack, viewers } = await startTestStack(t);
      for (let i = 0; i < 2; i++) {
        viewers.push(await openViewer(browser, stack, { level: 0, trackers: [stack.trackerUrl], telemetry: { intervalMs: BEAT_MS } }));
        await sleep(1000);
      }
      const context = await browser.browser.newContext({ viewport: { width: 1280, height: 1000 } });
      const dashboard = await context.newPage();
      await dashboard.goto(`${trackerHttp(stack)}/dashboard`);
      // Until both viewers' beats carry every figure the test reads (at least a few beats each).
      const complete = (f: Figures | undefined) =>
        f !== undefined && f.viewers === 2 && f.httpBytes + f.p2pBytes > 0 && f.startupMs.count === 2 && f.latencyMs.count === 2 && (f.latencyMs.p50 ?? 0) > 0;
      await sleep(3 * BEAT_MS);
      const figures = await waitFor(() => streamFigures(stack), complete, { timeoutMs: FIGURES_WITHIN_MS, intervalMs: 1000 });
      assert.ok(figures, 'the stream is listed');
      console.log(`dashboard API: ${JSON.stringify(figures)}`);
      assert.equal(figures.viewers, 2);
      assert.ok(figures.httpBytes + figures.p2pBytes > 0, 'segment bytes counted');
      assert.ok(figures.watchMs > 0);
      assert.equal(figures.startupMs.count, 2);
      assert.ok(figures.latencyMs.count === 2 && figures.latencyMs.p50! > 0, 'live latency from both');
      assert.deepEqual(figures.renditions.map((r) => r.rendition), ['240p']);

      const updatedAt = Date.now();
      await dashboard.waitForFunction((since) => Number(document.body.dataset['updated'] ?? 0) > since, updatedAt, { timeout: 10_000 });
      const page = (await dashboard.evaluate(PAGE_PROBE)) as PageProbe;
      const screenshot = join(tmpdir(), 'swarmcast-dashboard.png');
      await dashboard.screenshot({ path: screenshot, fullPage: true });
      console.log(`dashboard page: ${JSON.stringify(page)}; screenshot ${screenshot}`);
      assert.equal(page.rows, 1);
      assert.equal(page.viewers, '2');
      assert.match(page.startup, /^\d+\.\d s$/);
      assert.notEqual(page.startup, '0.0 s');
      assert.match(page.latency, /^[1-9]\d*\.\d s$/);
      for (const name of ['viewers', 'egress', 'latency'] as const) {
        assert.ok((page.charts[name]?.length ?? 0) > 0, `${name} chart has a path`);
      }
      // Zero before the session, up during it: a chart that rises is drawing the viewers' data.
      for (const name of ['viewers', 'egress'] as const) assert.ok(page.charts[name]!.height > 0, `${name} chart is flat`);
      await context.close();
    });

    test('a destroyed player sends its last beat and stops counting at once', async (t) => {
      const { stack, viewers } = await startTestStack(t);
      // Beats every second: both are counted soon, and the remaining one keeps beating meanwhile.
      const options = { level: 0, trackers: [stack.trackerUrl], telemetry: { intervalMs: 1000 } };
      viewers.push(...(await Promise.all([0, 1].map(() => openViewer(browser, stack, options)))));
      await countsViewers(stack, 2, 20_000, 'the two viewers were not counted within 20 s');
      await viewers.pop()!.close();
      // Without its last beat the collector would count it for 75 s (ACTIVE_MS) more.
      await countsViewers(stack, 1, 5000, 'still 2 viewers 5 s after one player was destroyed');
    });
  });
});
