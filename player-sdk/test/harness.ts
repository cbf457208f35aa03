/**
 * What the browser tests and the bench share: the real origin and tracker in-process on
 * 127.0.0.1:0, headless Debian Chromium, and viewer pages that load the built IIFE bundle.
 *
 * WebRTC gathers candidates on every interface, so anything that opens peer connections must run
 * in a loopback-only network namespace: `inLoopbackNamespace()` tells, `rerunInLoopbackNamespace`
 * re-executes a command inside a fresh one (`unshare --net`, needs root).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildOrigin } from '../../origin/src/app.ts';
import type { OriginOptions } from '../../origin/src/config.ts';
import { buildTracker, type TrackerOptions } from '../../tracker/src/app.ts';
import type { OriginStats } from '@swarmcast/protocol/stats';
import type { SwarmcastOptions } from '../src/options.ts';
import type { SwarmcastStats } from '../src/stats.ts';
import { buildSdk } from '../scripts/build.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

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

export const LIVE_SRC_PATH = '/live/sample/master.m3u8';
export const VOD_SRC_PATH = '/vod/sample/master.m3u8';

let built: Promise<void> | null = null;
/** Builds dist/ once per process (the origin serves the bundle from it). */
export function ensureBuilt(): Promise<void> {
  built ??= buildSdk();
  return built;
}

export function inLoopbackNamespace(): boolean {
  return Object.entries(networkInterfaces()).every(([name, addresses]) => name === 'lo' || (addresses ?? []).every((a) => a.internal));
}

/** Runs `node --import tsx <args>` inside a fresh loopback-only namespace; resolves with its exit code. */
export function rerunInLoopbackNamespace(args: string[]): Promise<number> {
  // Without this the child believes it is a subprocess of our runner and silently runs nothing.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const command = [process.execPath, '--import', 'tsx', ...args].map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('unshare', ['--net', 'bash', '-c', `ip link set lo up && exec ${command}`], { stdio: 'inherit', env });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

export function canUnshare(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/bin/unshare');
}

export interface Stack {
  originUrl: string;
  trackerUrl: string;
  origin: FastifyInstance;
  /** Live segment bytes the origin sent since the last `markOriginStats` (or since it started). */
  liveSegmentBytes(): Promise<number>;
  markOriginStats(): Promise<void>;
  stopTracker(): Promise<void>;
  close(): Promise<void>;
}

/** Served at the origin's `/` in tests: a real HTTP response from 127.0.0.1 (Chromium's local-network checks block WebSockets to 127.0.0.1 from pages it cannot place, such as intercepted ones). */
export const VIEWER_PAGE = fileURLToPath(new URL('viewer.html', import.meta.url));

/** `tracker` and `origin`: extra settings for either server (e.g. `trackerAuth`, `tokenKeys`). */
export async function startStack(
  options: { liveWindowSegments?: number; demoPage?: string; tracker?: TrackerOptions; origin?: Partial<OriginOptions> } = {},
): Promise<Stack> {
  await ensureBuilt();
  const tracker = await buildTracker({ ...options.tracker, logger: false });
  await tracker.listen({ port: 0, host: '127.0.0.1' });
  const origin = buildOrigin({
    ...options.origin,
    logger: false,
    ...(options.liveWindowSegments ? { liveWindowSegments: options.liveWindowSegments } : {}),
    demoPage: options.demoPage ?? VIEWER_PAGE,
  });
  await origin.listen({ port: 0, host: '127.0.0.1' });
  const originUrl = `http://127.0.0.1:${(origin.server.address() as AddressInfo).port}`;
  const trackerUrl = `ws://127.0.0.1:${(tracker.server.address() as AddressInfo).port}`;
  let trackerOpen = true;
  // The origin's counters only grow: sessions measure from a mark (resetting them is an admin action).
  let segmentBytesMark = 0;
  const readLiveSegmentBytes = async () => {
    const stats = (await (await fetch(`${originUrl}/stats`)).json()) as OriginStats;
    return stats.streams['live/sample']?.kinds.segment?.bytes ?? 0;
  };
  const stopTracker = async () => {
    if (!trackerOpen) return;
    trackerOpen = false;
    await tracker.close();
  };
  return {
    originUrl,
    trackerUrl,
    origin,
    async liveSegmentBytes() {
      return (await readLiveSegmentBytes()) - segmentBytesMark;
    },
    async markOriginStats() {
      segmentBytesMark = await readLiveSegmentBytes();
    },
    stopTracker,
    async close() {
      await stopTracker();
      await origin.close();
    },
  };
}

export interface BrowserHandle {
  browser: Browser;
  close(): Promise<void>;
}

/** Playwright's `launch` gives every browser a fresh temporary profile (user-data dir) of its own. */
export async function launchChromium(): Promise<BrowserHandle> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return { browser, close: () => browser.close() };
}

export interface ViewerOptions extends Omit<SwarmcastOptions, 'src'> {
  src?: string;
}

export interface Viewer {
  context: BrowserContext;
  page: Page;
  stats(): Promise<SwarmcastStats>;
  currentTime(): Promise<number>;
  close(): Promise<void>;
}

/** Page-script source: whether a binary WebRTC message is a p2p-media-loader command frame (`cstr`/`dstr`…) rather than segment data. */
const IS_COMMAND_SOURCE = `(bytes) => bytes.length >= 4 && [0x63, 0x64].includes(bytes[0]) && bytes[1] === 0x73 && bytes[2] === 0x74 && bytes[3] === 0x72`;

/**
 * Test-only adversary, injected into a page from outside the SDK: every binary WebRTC message
 * that is not a p2p-media-loader command frame (those start with `cstr`/`dstr`) is segment data;
 * it is sent with one byte flipped (on a copy, so the sender's own cache stays intact).
 */
export const CORRUPT_UPLOADS_SCRIPT = `(() => {
  const send = RTCDataChannel.prototype.send;
  const isCommand = ${IS_COMMAND_SOURCE};
  window.__corruptedChunks = 0;
  RTCDataChannel.prototype.send = function (data) {
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (view.length > 64 && !isCommand(view)) {
        const copy = new Uint8Array(view);
        copy[copy.length >> 1] ^= 0xff;
        window.__corruptedChunks++;
        return send.call(this, copy);
      }
    }
    return send.call(this, data);
  };
})();`;

/**
 * Test-only adversary: a peer that goes silent mid-transfer. A data channel sends the first
 * segment-data message of its first upload (64 KiB at most) and then nothing at all, so the
 * receiver holds part of a segment until it gives up on this peer and completes the segment
 * elsewhere (an HTTP Range request). (Dropping only the data would not do: the "sending completed"
 * command that follows makes the receiver discard the partial bytes.) Counted in
 * `window.__truncatedUploads`.
 */
export const TRUNCATE_UPLOADS_SCRIPT = `(() => {
  const send = RTCDataChannel.prototype.send;
  const isCommand = ${IS_COMMAND_SOURCE};
  const silent = new WeakSet();
  window.__truncatedUploads = 0;
  RTCDataChannel.prototype.send = function (data) {
    if (silent.has(this)) return;
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (!isCommand(view)) {
        silent.add(this);
        window.__truncatedUploads++;
      }
    }
    return send.call(this, data);
  };
})();`;

/**
 * In a loopback-only namespace Chromium reports `navigator.onLine === false` (it has no other
 * interface), and hls.js then answers a request cut mid-transfer (status 0) by waiting for the
 * browser's `online` event, which never comes: the page would stop loading for good. Real viewers
 * of an origin outage are online, so test pages say so.
 */
export const ONLINE_SCRIPT = `Object.defineProperty(Navigator.prototype, 'onLine', { configurable: true, get: () => true });`;

/** A page on the origin (same-origin requests) with one <video> and a Swarmcast player as `window.player`. */
export async function openViewer(
  handle: BrowserHandle,
  stack: Stack,
  options: ViewerOptions,
  /**
   * `initScript`: a test-only adversary run in the page before anything else (as `corruptUploads`).
   * `tokenCallback`: the page passes `token` as a callback answering this (asynchronously), counting
   * calls in `window.tokenCalls`; a function runs in Node at each call (e.g. to mint a fresh token).
   */
  extra: { corruptUploads?: boolean; debug?: boolean; tokenCallback?: string | (() => string); initScript?: string } = {},
): Promise<Viewer> {
  const context = await handle.browser.newContext();
  // Chromium offers a loopback ICE candidate only to pages allowed to capture media.
  await context.grantPermissions(['camera', 'microphone'], { origin: stack.originUrl });
  const page = await context.newPage();
  await page.addInitScript(ONLINE_SCRIPT);
  if (extra.corruptUploads) await page.addInitScript(CORRUPT_UPLOADS_SCRIPT);
  if (extra.initScript) await page.addInitScript(extra.initScript);
  if (extra.debug) await page.addInitScript(`localStorage.debug = 'p2pml-core:*'`);
  await page.goto(`${stack.originUrl}/`);
  const playerOptions: SwarmcastOptions = { src: `${stack.originUrl}${LIVE_SRC_PATH}`, rtcConfig: { iceServers: [] }, ...options } as SwarmcastOptions;
  // A string, not a function in the evaluated callback: tsx would wrap its name in a helper the page lacks.
  if (typeof extra.tokenCallback === 'function') {
    await page.exposeFunction('nodeTokenCallback', extra.tokenCallback);
    await page.evaluate(`window.tokenCallback = () => window.nodeTokenCallback().finally(() => window.tokenCalls++)`);
  } else if (extra.tokenCallback !== undefined) {
    await page.evaluate(`window.tokenCallback = () => Promise.resolve(${JSON.stringify(extra.tokenCallback)}).finally(() => window.tokenCalls++)`);
  }
  await page.evaluate(
    ([opts, hasTokenCallback]) => {
      const w = window as unknown as {
        Swarmcast: { createPlayer: (v: HTMLVideoElement, o: unknown) => unknown };
        player: unknown;
        swarmcastErrors: unknown[];
        tokenCalls: number;
        tokenCallback?: () => Promise<string>;
      };
      w.swarmcastErrors = [];
      w.tokenCalls = 0;
      const token = hasTokenCallback ? { token: w.tokenCallback } : {};
      const player = w.Swarmcast.createPlayer(document.getElementById('v') as HTMLVideoElement, { ...opts, ...token }) as {
        on: (n: string, f: (e: unknown) => void) => void;
      };
      player.on('error', (event) => w.swarmcastErrors.push(event));
      w.player = player;
    },
    [playerOptions, extra.tokenCallback !== undefined] as const,
  );
  return {
    context,
    page,
    stats: () => page.evaluate(() => (window as unknown as { player: { stats(): SwarmcastStats } }).player.stats()),
    currentTime: () => page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime),
    async close() {
      await page.evaluate(() => (window as unknown as { player: { destroy(): void } }).player.destroy()).catch(() => undefined);
      await context.close();
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A Chromium test file's entry: runs `suite` when already in a loopback-only namespace, else
 * re-runs `file` inside a fresh one (root), else skips loudly (fails under CI=true).
 */
export async function inChromiumNamespace(name: string, file: string, suite: () => void, timeoutMs = 5 * 60_000): Promise<void> {
  const { test } = await import('node:test');
  const { fail } = await import('node:assert/strict');
  const unavailable = (reason: string) => {
    if (process.env.CI === 'true') {
      test(name, () => fail(`CI=true and ${reason}`));
      return;
    }
    console.error(`\n${'!'.repeat(78)}\n!! ${name}: browser tests NOT RUN: ${reason}\n${'!'.repeat(78)}\n`);
    test(name, { skip: reason }, () => undefined);
  };
  if (!existsSync(CHROMIUM)) unavailable(`${CHROMIUM} is missing (apt-get install chromium)`);
  else if (inLoopbackNamespace()) suite();
  else if (!canUnshare()) unavailable('not in a loopback-only network namespace and cannot create one (needs root and unshare): WebRTC would use real interfaces');
  else {
    test(`${name}, re-run inside a loopback-only network namespace`, { timeout: timeoutMs }, async () => {
      const code = await rerunInLoopbackNamespace(['--test-reporter=spec', file]);
      if (code !== 0) fail('the run inside the namespace failed (its output is above)');
    });
  }
}
