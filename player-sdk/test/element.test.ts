/**
 * `<swarmcast-player>` and the handle's API in Chromium: DOM events, attributes that apply to the
 * running player without a restart (and those that restart it), listeners that unsubscribe, the
 * quality API and frozen defaults.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { sleep } from '@swarmcast/testkit';
import { inChromiumNamespace, launchChromium, pageUntil, type BrowserHandle } from '@swarmcast/testkit/chromium';
import { LIVE_SRC_PATH, startStack, type Stack } from './harness.ts';

await inChromiumNamespace('the element and the handle in Chromium', fileURLToPath(import.meta.url), () => {
  describe('<swarmcast-player> and the handle (loopback namespace)', { timeout: 4 * 60_000 }, () => {
    let stack: Stack;
    let browser: BrowserHandle;
    let page: Page;
    before(async () => {
      stack = await startStack();
      browser = await launchChromium();
      const context = await browser.browser.newContext();
      page = await context.newPage();
      await page.goto(`${stack.originUrl}/`);
    });
    after(async () => {
      await browser?.close();
      await stack?.close();
    });

    test('the element forwards events as DOM events and applies level, latency, token and video attributes without a restart', async () => {
      const src = `${stack.originUrl}${LIVE_SRC_PATH}`;
      await page.evaluate(
        ([source, tracker]) => {
          const w = window as unknown as { seen: Record<string, unknown[]>; element: HTMLElement & { player: unknown }; first: unknown };
          w.seen = { 'swarmcast-stats': [], 'swarmcast-fallback': [], 'swarmcast-error': [] };
          // Listening on the document: the events bubble.
          for (const name of Object.keys(w.seen)) document.addEventListener(name, (event) => w.seen[name]!.push((event as CustomEvent).detail));
          const element = document.createElement('swarmcast-player') as HTMLElement & { player: unknown };
          for (const [name, value] of Object.entries({ src: source, tracker, controls: '', muted: '', autoplay: '', level: '0', latency: '12', token: 'first' })) {
            element.setAttribute(name, value);
          }
          document.body.appendChild(element);
          w.element = element;
          w.first = element.player;
        },
        [src, stack.trackerUrl] as const,
      );
      assert.ok(await pageUntil(page, `window.seen['swarmcast-stats'].some((s) => s.mode === 'p2p') && document.querySelector('swarmcast-player').currentTime > 0`), 'no stats events, or it never played');
      // Alone in its swarm: the player says why it uses the origin only.
      assert.ok(await pageUntil(page, `window.seen['swarmcast-fallback'].some((f) => f.reason === 'no-peers')`), 'no swarmcast-fallback event');
      const video = await page.evaluate(() => {
        const v = document.querySelector('swarmcast-player')!.shadowRoot!.querySelector('video')!;
        return { controls: v.controls, muted: v.muted, autoplay: v.autoplay };
      });
      assert.deepEqual(video, { controls: true, muted: true, autoplay: true });

      await page.evaluate(() => {
        const element = (window as unknown as { element: HTMLElement }).element;
        element.setAttribute('level', 'auto');
        element.setAttribute('latency', '10');
        element.setAttribute('token', 'second');
        element.removeAttribute('controls');
        element.setAttribute('poster', '/poster.png');
      });
      const changed = await page.evaluate(() => {
        const w = window as unknown as { element: HTMLElement & { player: { hls: { config: { liveSyncDuration: number }; autoLevelEnabled: boolean } } }; first: unknown };
        const v = w.element.shadowRoot!.querySelector('video')!;
        return {
          samePlayer: w.element.player === w.first,
          liveSyncDuration: w.element.player.hls.config.liveSyncDuration,
          auto: w.element.player.hls.autoLevelEnabled,
          controls: v.controls,
          poster: v.getAttribute('poster'),
        };
      });
      assert.deepEqual(changed, { samePlayer: true, liveSyncDuration: 10, auto: true, controls: false, poster: '/poster.png' });

      // A new source is a new player; a bad tracker URL is a swarmcast-error, not an exception.
      await page.evaluate((source) => (window as unknown as { element: HTMLElement }).element.setAttribute('src', `${source}?again`), src);
      assert.equal(await page.evaluate(() => { const w = window as unknown as { element: { player: unknown }; first: unknown }; return w.element.player !== w.first && w.element.player !== null; }), true);
      await page.evaluate(() => (window as unknown as { element: HTMLElement }).element.setAttribute('tracker', 'http://not-a-websocket.example'));
      const errors = await page.evaluate(() => (window as unknown as { seen: Record<string, Array<{ code: string; fatal: boolean; message: string }>> }).seen['swarmcast-error']!);
      assert.ok(errors.some((error) => error.code === 'options' && error.fatal && /trackers/.test(error.message)), JSON.stringify(errors));
      await page.evaluate(() => (window as unknown as { element: HTMLElement }).element.remove());
    });

    test('the handle: on() returns an unsubscribe, once() fires once, the quality API switches levels, defaults are frozen', async () => {
      await page.evaluate(
        ([source, tracker]) => {
          const w = window as unknown as Record<string, unknown> & { Swarmcast: { createPlayer(v: HTMLVideoElement, o: object): { on(n: string, f: () => void): () => void; once(n: string, f: () => void): () => void } } };
          const video = document.getElementById('v') as HTMLVideoElement;
          const player = w.Swarmcast.createPlayer(video, { src: source, trackers: [tracker], rtcConfig: { iceServers: [] } });
          w.player = player;
          w.counted = 0;
          w.onced = 0;
          w.unsubscribe = player.on('stats', () => (w.counted = (w.counted as number) + 1));
          player.once('stats', () => (w.onced = (w.onced as number) + 1));
        },
        [`${stack.originUrl}${LIVE_SRC_PATH}`, stack.trackerUrl] as const,
      );
      assert.ok(await pageUntil(page, 'window.counted >= 3'), 'stats listener not called');
      await page.evaluate(() => (window as unknown as { unsubscribe(): void }).unsubscribe());
      const counted = await page.evaluate(() => (window as unknown as { counted: number }).counted);
      await sleep(2500);
      assert.deepEqual(await page.evaluate(() => { const w = window as unknown as { counted: number; onced: number }; return [w.counted, w.onced]; }), [counted, 1]);

      const levels = await page.evaluate(() => (window as unknown as { player: { levels(): Array<{ index: number; height: number }> } }).player.levels());
      assert.ok(levels.length >= 2, `expected the sample's ladder, got ${JSON.stringify(levels)}`);
      assert.deepEqual(levels.map((level) => level.index), levels.map((_, i) => i));
      const top = levels.length - 1;
      await page.evaluate((index) => (window as unknown as { player: { setLevel(l: number): void } }).player.setLevel(index), top);
      assert.ok(await pageUntil(page, `window.player.currentLevel === ${top}`), `currentLevel never became ${top}`);
      await page.evaluate(() => (window as unknown as { player: { setLevel(l: 'auto'): void } }).player.setLevel('auto'));
      assert.equal(await page.evaluate(() => (window as unknown as { player: { hls: { autoLevelEnabled: boolean } } }).player.hls.autoLevelEnabled), true);

      const frozen = await page.evaluate(() => {
        const defaults = (window as unknown as { Swarmcast: { defaultOptions: { rtcConfig: { iceServers: unknown[] }; liveLatency: number } } }).Swarmcast.defaultOptions;
        try {
          (defaults as { liveLatency: number }).liveLatency = 1;
        } catch {
          // strict mode throws; sloppy mode ignores the write: either way nothing changes
        }
        return { frozen: Object.isFrozen(defaults), latency: defaults.liveLatency, deep: Object.isFrozen(defaults.rtcConfig.iceServers) };
      });
      assert.deepEqual(frozen, { frozen: true, latency: 12, deep: true });
      await page.evaluate(() => (window as unknown as { player: { destroy(): void } }).player.destroy());
    });
  });
});
