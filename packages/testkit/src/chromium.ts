/**
 * Headless Debian Chromium for tests and benches (playwright-core drives the machine's browser; it
 * downloads none). A subpath of its own, `@swarmcast/testkit/chromium`, so that importing the rest
 * of the testkit does not load playwright.
 */
import { existsSync } from 'node:fs';
import type { TestContext, TestOptions } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { canUnshare, inLoopbackNamespace, rerunInLoopbackNamespace } from './loopback.ts';
import { waitFor } from './wait.ts';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** DESIGN.md's flags: no background traffic, no QUIC, loopback allowed in peer connections. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  // Every viewer is a foreground viewer: no timer throttling or media suspension for pages Chromium thinks are hidden.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--disable-background-media-suspend',
];

export interface BrowserHandle {
  browser: Browser;
  close(): Promise<void>;
}

/** Playwright's `launch` gives every browser a fresh temporary profile (user-data dir) of its own. */
export async function launchChromium(): Promise<BrowserHandle> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return { browser, close: () => browser.close() };
}

/** A browser context whose pages on `origin` open WebRTC connections over loopback. */
export async function newWebRtcContext(browser: Browser, origin: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  // Chromium offers a loopback ICE candidate only to pages allowed to capture media.
  await context.grantPermissions(['camera', 'microphone'], { origin });
  return context;
}

/** Polls `condition` (a page-script expression) until it holds or `ms` pass; returns whether it held. */
export async function pageUntil(page: Page, condition: string, ms = 30_000): Promise<boolean> {
  return Boolean(await waitFor(() => page.evaluate(condition), Boolean, { timeoutMs: ms, intervalMs: 250 }));
}

/** Why Chromium tests cannot run on this machine, or false. */
export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`;
}

/** A test that cannot run here: it fails under CI=true, elsewhere it is skipped loudly. */
async function notRunHere(name: string, reason: string): Promise<void> {
  const { test } = await import('node:test');
  if (process.env['CI'] === 'true') {
    test(name, () => {
      throw new Error(`CI=true and ${reason}`);
    });
    return;
  }
  console.error(`\n${'!'.repeat(78)}\n!! ${name}: browser tests NOT RUN: ${reason}\n${'!'.repeat(78)}\n`);
  test(name, { skip: reason }, () => undefined);
}

/** A test that needs Chromium but no network namespace (no WebRTC); see {@link notRunHere} for a missing browser. */
export async function chromiumTest(name: string, options: TestOptions, fn: (t: TestContext) => Promise<void>): Promise<void> {
  const missing = chromiumMissing();
  if (missing) return notRunHere(name, missing);
  const { test } = await import('node:test');
  test(name, options, fn);
}

/**
 * A Chromium test file's entry: runs `suite` when already in a loopback-only namespace, else
 * re-runs `file` inside a fresh one (root), else does not run it (see {@link notRunHere}).
 */
export async function inChromiumNamespace(name: string, file: string, suite: () => void, timeoutMs = 5 * 60_000): Promise<void> {
  const missing = chromiumMissing();
  if (missing) return notRunHere(name, missing);
  if (inLoopbackNamespace()) return suite();
  if (!canUnshare()) {
    return notRunHere(name, 'not in a loopback-only network namespace and cannot create one (needs root and unshare): WebRTC would use real interfaces');
  }
  const { test } = await import('node:test');
  const { fail } = await import('node:assert/strict');
  test(`${name}, re-run inside a loopback-only network namespace`, { timeout: timeoutMs }, async () => {
    const code = await rerunInLoopbackNamespace(['--test-reporter=spec', file]);
    if (code !== 0) fail('the run inside the namespace failed (its output is above)');
  });
}
