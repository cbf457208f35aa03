/**
 * Tracker-token renewal without a browser: when a token is due for replacement, and what the
 * renewal does to p2p-media-loader (a fake engine recording `applyDynamicConfig`, hls.js's fragment
 * events from the test) on a mocked clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type Hls from 'hls.js';
import { mintToken } from '@swarmcast/protocol/access-token';
import { Emitter } from '../src/events.ts';
import { MIN_RENEW_DELAY_MS, RECONNECT_PAUSE_MS, renewalDueMs, tokenExpiryMs, TrackerTokenRenewal, type TrackerTokenRenewalSetup } from '../src/token-renewal.ts';
import { TokenSource } from '../src/token-source.ts';

const KEY = 'swarmcast-test-key-0123456789';
const NOW = 1_700_000_000_000;
// '>>>?' encodes to '-' and '_' in base64url: the payload decoder must translate both.
const SWARMS = ['*', 'https://cdn.example/live/>>>?'];
const token = (ttlSec: number, now = NOW) => mintToken({ swarms: SWARMS, ttlSec, now }, KEY);

describe('when a token is due', () => {
  test("the expiry is read from the payload (base64url JSON before the '.'); anything else has none", () => {
    const minted = token(3600);
    assert.match(minted.split('.')[0]!, /[-_]/);
    assert.equal(tokenExpiryMs(minted), NOW + 3_600_000);
    for (const junk of ['', 'abc', '.sig', 'bm90IGpzb24.sig', `${btoa('{"swarms":["*"]}')}.sig`, `${btoa('{"exp":"soon"}')}.sig`, `${btoa('null')}.sig`, '%%%.sig']) {
      assert.equal(tokenExpiryMs(junk), undefined, junk);
    }
  });

  test('a minute before expiry, or two thirds into a short life; never within 10 s; never without an expiry', () => {
    assert.equal(renewalDueMs(token(3600), NOW), NOW + 3_540_000);
    assert.equal(renewalDueMs(token(120), NOW), NOW + 80_000);
    assert.equal(renewalDueMs(token(30), NOW), NOW + 20_000);
    assert.equal(renewalDueMs(token(12), NOW), NOW + MIN_RENEW_DELAY_MS);
    assert.equal(renewalDueMs(token(60, NOW - 120_000), NOW), NOW + MIN_RENEW_DELAY_MS, 'expired on arrival');
    assert.equal(renewalDueMs('opaque-token', NOW), Infinity);
    assert.equal(renewalDueMs(undefined, NOW), Infinity);
  });
});

describe('renewing the tracker token', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: NOW }));
  afterEach(() => mock.timers.reset());

  /** Microtasks (the callback's promise chain) run; setImmediate is not mocked. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  /** hls.js as the renewal sees it: fragment events, emitted by the test. */
  class FakeHls {
    static readonly Events = { FRAG_LOADING: 'loading', FRAG_LOADED: 'loaded', FRAG_LOAD_EMERGENCY_ABORTED: 'aborted', ERROR: 'error' };
    private readonly listeners = new Map<string, (event: string, data: unknown) => void>();
    on(name: string, listener: (event: string, data: unknown) => void) {
      this.listeners.set(name, listener);
    }
    off(name: string, listener: (event: string, data: unknown) => void) {
      if (this.listeners.get(name) === listener) this.listeners.delete(name);
    }
    get listening(): string[] {
      return [...this.listeners.keys()];
    }
    emit(name: keyof typeof FakeHls.Events, type: 'main' | 'audio') {
      this.listeners.get(FakeHls.Events[name])!(name, { frag: { type } });
    }
  }

  /** A callback minting `ttlSec` tokens at the mocked time (or always `fixed`), an engine recording what it is told. */
  function start(options: { ttlSec?: number; fixed?: string; peersHeldOff?: boolean } = {}) {
    const calls: string[] = [];
    const callback = () => {
      const answer = options.fixed ?? token(options.ttlSec ?? 20, Date.now());
      calls.push(answer);
      return Promise.resolve(answer);
    };
    const tokens = new TokenSource({ token: callback, tokenRefreshSeconds: 600, originToken: false }, new Emitter());
    const applied: Array<Record<string, unknown>> = [];
    const disabled = { mainStream: options.peersHeldOff ?? false, secondaryStream: options.peersHeldOff ?? false };
    const engine = {
      applyDynamicConfig: ({ core }: { core: Record<string, { isP2PDisabled?: boolean }> }) => {
        applied.push(core);
        for (const key of ['mainStream', 'secondaryStream'] as const) {
          if (typeof core[key]?.isP2PDisabled === 'boolean') disabled[key] = core[key].isP2PDisabled;
        }
      },
      getConfig: () => ({ core: { mainStream: { isP2PDisabled: disabled.mainStream }, secondaryStream: { isP2PDisabled: disabled.secondaryStream } } }),
    } as unknown as TrackerTokenRenewalSetup['engine'];
    const renewed: string[][] = [];
    const hls = new FakeHls();
    return {
      calls,
      applied,
      renewed,
      tokens,
      hls,
      async begin() {
        await tokens.fresh();
        const renewal = new TrackerTokenRenewal({ engine, tokens, trackers: ['ws://t.example/announce'], onRenewed: (urls) => renewed.push(urls) });
        renewal.watch(hls as unknown as Hls);
        return renewal;
      },
    };
  }

  const off = (stream: 'mainStream' | 'secondaryStream', isP2PDisabled: boolean) => ({ [stream]: { isP2PDisabled } });

  test("a 20 s token is replaced after 13.3 s: new tracker URLs, each stream's P2P off for the old socket to close, then on again; and so on", async () => {
    const run = start();
    const renewal = await run.begin();
    mock.timers.tick(13_000);
    await settle();
    assert.equal(run.calls.length, 1, 'asked before the token was due');
    assert.deepEqual(run.applied, []);

    mock.timers.tick(400);
    await settle();
    assert.equal(run.calls.length, 2);
    const urls = [`ws://t.example/announce?token=${run.calls[1]}`];
    assert.deepEqual(run.applied, [{ announceTrackers: urls }, off('mainStream', true), off('secondaryStream', true)]);
    assert.deepEqual(run.renewed, [urls]);

    mock.timers.tick(RECONNECT_PAUSE_MS - 1);
    assert.equal(run.applied.length, 3, 'P2P back on before the old socket could close');
    mock.timers.tick(1);
    assert.deepEqual(run.applied.slice(3), [off('mainStream', false), off('secondaryStream', false)]);

    // The second token, minted 13.4 s in, expires at 33 s (whole seconds): due at 26.47 s.
    mock.timers.tick(26_400 - 13_400 - RECONNECT_PAUSE_MS);
    await settle();
    assert.equal(run.calls.length, 2);
    mock.timers.tick(100);
    await settle();
    assert.equal(run.calls.length, 3);
    assert.deepEqual(run.applied.slice(5), [{ announceTrackers: [`ws://t.example/announce?token=${run.calls[2]}`] }, off('mainStream', true), off('secondaryStream', true)]);

    assert.equal(run.hls.listening.length, 4);
    renewal.stop();
    assert.deepEqual(run.hls.listening, [], 'left its hls.js listeners behind');
    mock.timers.tick(3_600_000);
    await settle();
    assert.equal(run.calls.length, 3, 'asked after stop()');
    assert.equal(run.applied.length, 8, 'touched the engine after stop()');
  });

  test('a stream with a fragment in flight keeps its loader until hls.js has it (dropping it would fail that request for good)', async () => {
    const run = start();
    await run.begin();
    run.hls.emit('FRAG_LOADING', 'main');
    run.hls.emit('FRAG_LOADING', 'audio');
    mock.timers.tick(14_000);
    await settle();
    assert.deepEqual(run.applied.slice(1), [], 'dropped a loader serving hls.js');
    run.hls.emit('FRAG_LOADED', 'audio');
    assert.deepEqual(run.applied.slice(1), [off('secondaryStream', true)]);
    run.hls.emit('ERROR', 'main');
    assert.deepEqual(run.applied.slice(2), [off('mainStream', true)]);
    run.hls.emit('FRAG_LOADING', 'main');
    run.hls.emit('FRAG_LOADED', 'main');
    assert.equal(run.applied.length, 3, 'restarted twice for one token');
  });

  test('while peers are held off (no tracker socket) only the URLs change', async () => {
    const run = start({ peersHeldOff: true });
    await run.begin();
    mock.timers.tick(14_000);
    await settle();
    assert.equal(run.calls.length, 2);
    assert.deepEqual(run.applied, [{ announceTrackers: [`ws://t.example/announce?token=${run.calls[1]}`] }]);
  });

  test('an hour-long token is replaced a minute before it expires', async () => {
    const run = start({ ttlSec: 3600 });
    await run.begin();
    mock.timers.tick(3_539_000);
    await settle();
    assert.equal(run.calls.length, 1);
    mock.timers.tick(1000);
    await settle();
    assert.equal(run.calls.length, 2);
  });

  test('a callback that keeps answering the same token changes nothing and is asked every 10 s', async () => {
    const run = start({ fixed: token(15) });
    await run.begin();
    mock.timers.tick(MIN_RENEW_DELAY_MS);
    await settle();
    mock.timers.tick(MIN_RENEW_DELAY_MS);
    await settle();
    mock.timers.tick(MIN_RENEW_DELAY_MS - 1);
    await settle();
    assert.equal(run.calls.length, 3);
    assert.deepEqual(run.applied, []);
  });

  test('origin requests get a fresh token once it is due, even within tokenRefreshSeconds', async () => {
    const run = start();
    const first = await run.tokens.fresh();
    mock.timers.tick(13_000);
    assert.equal(await run.tokens.fresh(), first);
    mock.timers.tick(400);
    const second = await run.tokens.fresh();
    assert.notEqual(second, first);
    assert.equal(run.calls.length, 2);
  });

  test('a token without a readable expiry is never renewed', async () => {
    const run = start({ fixed: 'opaque-token' });
    await run.begin();
    mock.timers.tick(24 * 3_600_000);
    await settle();
    assert.equal(run.calls.length, 1);
    assert.deepEqual(run.applied, []);
  });
});
