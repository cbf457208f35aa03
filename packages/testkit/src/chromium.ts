/**
 * Headless Debian Chromium for tests and benches (playwright-core drives the machine's browser; it
 * downloads none). A subpath of its own, `@swarmcast/testkit/chromium`, so that importing the rest
 * of the testkit does not load playwright.
 */
import type { TestContext, TestOptions } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '@swarmcast/chromium';
import { canUnshare, inLoopbackNamespace, rerunInLoopbackNamespace } from './loopback.ts';
import { waitFor } from './wait.ts';

// The browser's path, flags and WebRTC context are the load tester's too (its `--browsers`): they live in @swarmcast/chromium.
export { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, newWebRtcContext } from '@swarmcast/chromium';

export interface BrowserHandle {
  browser: Browser;
  close(): Promise<void>;
}

/** Playwright's `launch` gives every browser a fresh temporary profile (user-data dir) of its own. */
export async function launchChromium(): Promise<BrowserHandle> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return { browser, close: () => browser.close() };
}

/** Polls `condition` (a page-script expression) until it holds or `ms` pass; returns whether it held. */
export async function pageUntil(page: Page, condition: string, ms = 30_000): Promise<boolean> {
  return Boolean(await waitFor(() => page.evaluate(condition), Boolean, { timeoutMs: ms, intervalMs: 250 }));
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
