/**
 * What the browser tests and the bench share: the real origin and tracker in-process on
 * 127.0.0.1:0, and viewer pages that load the built IIFE bundle in headless Chromium (launched,
 * and put in a loopback-only network namespace, by `@swarmcast/testkit/chromium`).
 */
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { buildOrigin, type OriginOptions } from '@swarmcast/origin';
import type { OriginStats } from '@swarmcast/protocol/stats';
import { launchChromium, newWebRtcContext, type BrowserHandle } from '@swarmcast/testkit/chromium';
import { buildTracker, type TrackerOptions } from '@swarmcast/tracker';
import type { SwarmcastOptions } from '../src/options.ts';
import type { SwarmcastStats } from '../src/stats.ts';
import { ensureSdkBuilt } from './sdk-build.ts';

export const LIVE_SRC_PATH = '/live/sample/master.m3u8';
export const VOD_SRC_PATH = '/vod/sample/master.m3u8';

let built: Promise<void> | null = null;
/** dist/ as built from the current sources, checked once per process (the origin serves the bundle from it). */
export function ensureBuilt(): Promise<void> {
  built ??= ensureSdkBuilt();
  return built;
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

/** What a Chromium suite plays against: filled in by the suite's `before`. */
export interface ChromiumSuite {
  stack: Stack;
  browser: BrowserHandle;
}

/**
 * Called in a `describe` block: a stack (`startStack(options)`) and a Chromium, started before
 * its tests and closed after them.
 */
export function chromiumSuite(options?: Parameters<typeof startStack>[0]): ChromiumSuite {
  const suite = {} as ChromiumSuite;
  before(async () => {
    suite.stack = await startStack(options);
    suite.browser = await launchChromium();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.stack?.close();
  });
  return suite;
}

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
  const context = await newWebRtcContext(handle.browser, stack.originUrl);
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
        segmentRecords: unknown[];
        tokenCalls: number;
        tokenCallback?: () => Promise<string>;
      };
      w.swarmcastErrors = [];
      w.segmentRecords = [];
      w.tokenCalls = 0;
      const token = hasTokenCallback ? { token: w.tokenCallback } : {};
      const player = w.Swarmcast.createPlayer(document.getElementById('v') as HTMLVideoElement, { ...opts, ...token }) as {
        on: (n: string, f: (e: never) => void) => void;
        stats(): { seeding: { role: string } | null };
      };
      player.on('error', (event) => w.swarmcastErrors.push(event));
      // Every segment from the start, with the viewer's seeding role at that moment (segmentRecords).
      player.on('segment', (e: { url: string; source: string }) =>
        w.segmentRecords.push({ url: e.url, source: e.source, at: Date.now(), role: player.stats().seeding?.role ?? 'none' }),
      );
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

/** One `segment` event, as a page recorded it (wall clock: pages on one machine share it). */
export interface SegmentRecord {
  url: string;
  source: 'http' | 'p2p';
  at: number;
  role: string;
}

/** What the origin and the mesh did for the segments first seen (by any viewer) at or after a moment. */
export interface SegmentFigures {
  segments: number;
  /** Origin fetches of those segments, and by the fetching viewer's role then (`none`: uncoordinated). */
  fetches: number;
  fetchesByRole: Record<string, number>;
  /** Seconds from a segment's first arrival anywhere to each viewer that took it from a peer, ascending. */
  meshDelaysSec: number[];
}

export function segmentFigures(records: readonly SegmentRecord[], since: number): SegmentFigures {
  const byUrl = new Map<string, SegmentRecord[]>();
  for (const record of records) {
    const list = byUrl.get(record.url);
    if (list) list.push(record);
    else byUrl.set(record.url, [record]);
  }
  const figures: SegmentFigures = { segments: 0, fetches: 0, fetchesByRole: {}, meshDelaysSec: [] };
  for (const list of byUrl.values()) {
    const first = Math.min(...list.map((record) => record.at));
    if (first < since) continue;
    figures.segments++;
    for (const record of list) {
      if (record.source === 'http') {
        figures.fetches++;
        figures.fetchesByRole[record.role] = (figures.fetchesByRole[record.role] ?? 0) + 1;
      } else figures.meshDelaysSec.push((record.at - first) / 1000);
    }
  }
  figures.meshDelaysSec.sort((a, b) => a - b);
  return figures;
}

/** Every segment a viewer's player loaded so far, in order. */
export const segmentRecords = (viewer: Viewer) => viewer.page.evaluate(() => (window as unknown as { segmentRecords: SegmentRecord[] }).segmentRecords);

/**
 * Records in the page the SHA-256 of every fragment hls.js itself receives, independently of the
 * SDK's integrity check; {@link playedFragmentHashes} reads them back as [url, hex] pairs.
 */
export async function recordFragmentHashes(viewer: Viewer): Promise<void> {
  await viewer.page.evaluate(() => {
    const w = window as unknown as { fragments: Array<[string, string]>; player: { hls: { on(e: string, f: (e: string, d: unknown) => void): void } } };
    w.fragments = [];
    w.player.hls.on('hlsFragLoaded', (_event, data) => {
      const { frag, payload } = data as { frag: { url: string }; payload: ArrayBuffer };
      void crypto.subtle.digest('SHA-256', payload).then((digest) => {
        w.fragments.push([frag.url, [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')]);
      });
    });
  });
}

export function playedFragmentHashes(viewer: Viewer): Promise<Array<[string, string]>> {
  return viewer.page.evaluate(() => (window as unknown as { fragments: Array<[string, string]> }).fragments);
}
