import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chooseTransport,
  DEADLINE_STAGGER_SEGMENTS,
  hlsConfigFor,
  PLAYLIST_RETRY_WINDOW_MS,
  HTTP_FIRST_WINDOW_SEC,
  initialCoreConfig,
  planLoading,
  STALL_MARGIN_SEC,
  uploadAllowed,
  VOD_HTTP_FLOOR_SEC,
  type PlaybackSnapshot,
} from '../src/loading-policy.ts';
import { defaultOptions } from '../src/options.ts';

const options = { liveLatency: defaultOptions.liveLatency, httpFallbackBuffer: defaultOptions.httpFallbackBuffer, policy: 'peer-first' as const };
const live: PlaybackSnapshot = { isLive: true, bufferAhead: 6, connectedPeers: 3, recentStall: false, segmentDuration: 2 };

describe('planLoading (peer-first)', () => {
  test('with peers, only the last httpFallbackBuffer seconds (plus the stagger) go over HTTP', () => {
    assert.equal(planLoading(live, options, 0).highDemandTimeWindow, options.httpFallbackBuffer);
    const latest = planLoading(live, options, 0.9).highDemandTimeWindow;
    assert.ok(latest < options.httpFallbackBuffer + DEADLINE_STAGGER_SEGMENTS * live.segmentDuration);
    assert.ok(latest > options.httpFallbackBuffer);
  });

  test('the HTTP deadline stays below the live latency, so a new live segment first waits for peers', () => {
    const plan = planLoading(live, options, 0.999);
    assert.ok(plan.highDemandTimeWindow < options.liveLatency - live.segmentDuration);
  });

  test('peers and random HTTP seeding reach the live edge', () => {
    const plan = planLoading(live, options, 0.5);
    assert.ok(plan.p2pDownloadTimeWindow >= options.liveLatency + live.segmentDuration);
    assert.ok(plan.httpDownloadTimeWindow >= options.liveLatency + live.segmentDuration);
  });

  test('without peers there is nobody to wait for: HTTP first', () => {
    assert.equal(planLoading({ ...live, connectedPeers: 0 }, options, 0.5).highDemandTimeWindow, HTTP_FIRST_WINDOW_SEC);
  });

  test('after a stall it keeps a thicker buffer', () => {
    const calm = planLoading(live, options, 0.3).highDemandTimeWindow;
    const shaken = planLoading({ ...live, recentStall: true }, options, 0.3).highDemandTimeWindow;
    assert.equal(Math.round((shaken - calm) * 100) / 100, STALL_MARGIN_SEC);
  });

  test('VOD keeps a deeper HTTP floor and prefetches far ahead through peers', () => {
    const plan = planLoading({ ...live, isLive: false }, options, 0);
    assert.equal(plan.highDemandTimeWindow, VOD_HTTP_FLOOR_SEC);
    assert.ok(plan.p2pDownloadTimeWindow > 60);
  });

  test('a larger latency budget leaves the deadline alone (more time for peers, not less safety)', () => {
    const a = planLoading(live, { ...options, liveLatency: 8 }, 0.5);
    const b = planLoading(live, { ...options, liveLatency: 14 }, 0.5);
    assert.equal(a.highDemandTimeWindow, b.highDemandTimeWindow);
    assert.ok(b.p2pDownloadTimeWindow > a.p2pDownloadTimeWindow);
  });
});

describe('initial configuration', () => {
  test('peer-first starts HTTP-first until peers are known', () => {
    assert.equal(initialCoreConfig(options).highDemandTimeWindow, HTTP_FIRST_WINDOW_SEC);
  });

  test('library-default leaves p2p-media-loader untouched', () => {
    assert.deepEqual(initialCoreConfig({ ...options, policy: 'library-default' }), {});
    assert.equal(hlsConfigFor({ ...options, policy: 'library-default' }).maxBufferLength, undefined);
  });

  test('hls.js plays liveLatency behind the edge and may buffer up to it', () => {
    const config = hlsConfigFor(options);
    assert.equal(config.liveSyncDuration, options.liveLatency);
    assert.ok(config.liveMaxLatencyDuration! > options.liveLatency);
    assert.ok(config.maxBufferLength! >= options.liveLatency);
  });

  test('live playlists are retried through an origin outage, with capped backoff', () => {
    const { errorRetry } = hlsConfigFor(options).playlistLoadPolicy!.default;
    assert.ok(errorRetry);
    let waited = 0;
    for (let retry = 0; retry < errorRetry.maxNumRetry; retry++) waited += Math.min(errorRetry.retryDelayMs * 2 ** retry, errorRetry.maxRetryDelayMs);
    assert.ok(waited >= PLAYLIST_RETRY_WINDOW_MS, `retries cover ${waited} ms`);
    assert.ok(errorRetry.maxRetryDelayMs <= 4000, 'a viewer notices the origin is back within a few seconds');
  });

  test("a segment p2p-media-loader failed to load (status 0: it drops the origin's) is retried, as hls.js retries a 5xx; a 404 is not", () => {
    const { errorRetry } = hlsConfigFor(options).fragLoadPolicy!.default;
    const shouldRetry = errorRetry!.shouldRetry!;
    const failed = { url: 'https://cdn.example/live/1.ts', code: 0, text: '' };
    assert.equal(shouldRetry(errorRetry, 0, false, failed, false), true);
    assert.equal(shouldRetry(errorRetry, errorRetry!.maxNumRetry - 1, false, failed, false), true);
    assert.equal(shouldRetry(errorRetry, errorRetry!.maxNumRetry, false, failed, false), false, 'not forever');
    assert.equal(shouldRetry(errorRetry, 0, false, { ...failed, code: 404, text: 'Not Found' }, false), false);
    assert.equal(shouldRetry(errorRetry, 0, false, { ...failed, code: 503 }, true), true, "hls.js's own retry stands");
  });
});

describe('uploadAllowed', () => {
  test("'auto' uploads except on cellular", () => {
    assert.equal(uploadAllowed('auto', 'wifi'), true);
    assert.equal(uploadAllowed('auto', undefined), true);
    assert.equal(uploadAllowed('auto', 'cellular'), false);
  });
  test('an explicit choice wins', () => {
    assert.equal(uploadAllowed(true, 'cellular'), true);
    assert.equal(uploadAllowed(false, 'wifi'), false);
  });
});

describe('chooseTransport', () => {
  const all = { mediaSource: true, nativeHls: false, webRtc: true };
  const trackers = ['ws://tracker'];
  test('P2P when everything is there', () => {
    assert.deepEqual(chooseTransport({ p2p: true, trackers }, all), { mode: 'p2p', reason: null });
  });
  test('each missing piece falls back to HTTP with its reason', () => {
    assert.deepEqual(chooseTransport({ p2p: false, trackers }, all), { mode: 'http', reason: 'p2p-disabled' });
    assert.deepEqual(chooseTransport({ p2p: true, trackers }, { ...all, webRtc: false }), { mode: 'http', reason: 'no-webrtc' });
    assert.deepEqual(chooseTransport({ p2p: true, trackers: [] }, all), { mode: 'http', reason: 'no-tracker' });
  });
  test('no MSE: native HLS where the browser has it', () => {
    assert.deepEqual(chooseTransport({ p2p: true, trackers }, { ...all, mediaSource: false, nativeHls: true }), { mode: 'native', reason: 'no-mse' });
    assert.deepEqual(chooseTransport({ p2p: true, trackers }, { ...all, mediaSource: false }), { mode: 'unsupported', reason: 'no-mse' });
  });
});
