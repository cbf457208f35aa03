/**
 * The `token` option (a string or a callback) and `originToken`: validation in Node, then short
 * Chromium runs against a private deployment (tracker TRACKER_AUTH=required, origin
 * ORIGIN_AUTH=required, one shared key; loopback-only namespace, as e2e.test.ts): tokens that play,
 * a forged one that does not, and 20 s tokens the player renews before they expire.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mintToken } from '@swarmcast/protocol/access-token';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { trackerHttpUrl } from '@swarmcast/protocol/urls';
import { OptionError, resolveOptions, withToken } from '../src/options.ts';
import { sleep } from '@swarmcast/testkit';
import { inChromiumNamespace, launchChromium, type BrowserHandle } from '@swarmcast/testkit/chromium';
import { openViewer, startStack, type Stack, type Viewer } from './harness.ts';

const SRC = 'http://origin.example/live/sample/master.m3u8';
const KEY = 'swarmcast-test-key-0123456789';
const OTHER_KEY = 'not-the-deployment-key-0123456789';

describe('token options', () => {
  test('a string token goes into every tracker URL, replacing one already there', () => {
    const options = resolveOptions({ src: SRC, trackers: ['wss://t.example/?token=old', 'ws://u.example:8000'], token: 'a.b' });
    assert.deepEqual(options.trackers, ['wss://t.example/?token=a.b', 'ws://u.example:8000/?token=a.b']);
    assert.equal(options.originToken, false);
    assert.equal(withToken(SRC, 'x y'), `${SRC}?token=x+y`);
  });

  test('a callback is kept as is (asked when the player starts), trackers stay untouched; originToken and tokenRefreshSeconds are taken', () => {
    const token = () => Promise.resolve('a.b');
    const options = resolveOptions({ src: SRC, trackers: ['wss://t.example'], token, originToken: true, tokenRefreshSeconds: 5 });
    assert.equal(options.token, token);
    assert.deepEqual(options.trackers, ['wss://t.example/']);
    assert.equal(options.originToken, true);
    assert.equal(options.tokenRefreshSeconds, 5);
  });

  for (const [option, input] of [
    ['token', { token: '' }],
    ['token', { token: 42 }],
    ['token', { token: { value: 'a.b' } }],
    ['originToken', { originToken: 'yes' }],
    ['tokenRefreshSeconds', { tokenRefreshSeconds: 0 }],
    ['tokenRefreshSeconds', { tokenRefreshSeconds: Number.NaN }],
  ] as const) {
    test(`rejects ${option} ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => resolveOptions({ src: SRC, ...(input as object) }),
        (error: unknown) => error instanceof OptionError && error.option === option,
      );
    });
  }
});

/** The tracker's /stats: announces accepted, sockets open, and refusals by reason. */
async function trackerStats(stack: Stack): Promise<{ announces: number; connections: number; rejections: Record<string, number> }> {
  return (await (await fetch(trackerHttpUrl(stack.trackerUrl, '/stats'))).json()) as TrackerStats;
}

const fatalErrors = (viewer: Viewer) =>
  viewer.page.evaluate(() => (window as unknown as { swarmcastErrors: Array<{ code: string; fatal: boolean }> }).swarmcastErrors.filter((e) => e.fatal));

await inChromiumNamespace('private stream in Chromium', fileURLToPath(import.meta.url), () => {
  describe('private stream in Chromium (loopback namespace)', { timeout: 3 * 60_000 }, () => {
    let stack: Stack;
    let browser: BrowserHandle;
    const open: Viewer[] = [];
    before(async () => {
      stack = await startStack({ tracker: { trackerAuth: 'required', tokenKeys: [KEY] }, origin: { tokenKeys: [KEY] } });
      browser = await launchChromium();
    });
    after(async () => {
      for (const viewer of open) await viewer.close().catch(() => undefined);
      await browser?.close();
      await stack?.close();
    });

    test('valid tokens (callback and string) play and announce; a forged one gets neither the stream nor a tracker session', async () => {
      // The browser SDK's info_hashes depend on level attributes the backend does not know: "*".
      const valid = mintToken({ swarms: ['*'], ttlSec: 600 }, KEY);
      const forged = mintToken({ swarms: ['*'], ttlSec: 600 }, OTHER_KEY);
      const trackers = [stack.trackerUrl];

      const byCallback = await openViewer(browser, stack, { trackers, originToken: true, level: 0 }, { tokenCallback: valid });
      open.push(byCallback);
      await sleep(1000);
      const byString = await openViewer(browser, stack, { trackers, token: valid, originToken: true, level: 0 });
      open.push(byString);
      const starts = [await byCallback.currentTime(), await byString.currentTime()];
      await sleep(20_000);
      const played = [(await byCallback.currentTime()) - starts[0]!, (await byString.currentTime()) - starts[1]!];
      const stats = [await byCallback.stats(), await byString.stats()];
      const tokenCalls = await byCallback.page.evaluate(() => (window as unknown as { tokenCalls: number }).tokenCalls);
      const admitted = await trackerStats(stack);
      console.log(`  valid tokens: played ${played.map((s) => s.toFixed(1)).join(' / ')} s, peers ${stats.map((s) => s.peers).join(' / ')}, p2p ${stats.map((s) => s.p2pBytes).join(' / ')} B; tracker ${JSON.stringify(admitted)}; callback asked ${tokenCalls}×`);
      for (const [i, viewer] of [byCallback, byString].entries()) {
        assert.deepEqual(await fatalErrors(viewer), [], `valid-token viewer ${i} had a fatal error`);
        assert.ok(played[i]! > 5, `valid-token viewer ${i} played only ${played[i]!.toFixed(1)} s in 20 s`);
        assert.ok(stats[i]!.httpBytes > 0, `valid-token viewer ${i} got no segment from the private origin`);
      }
      assert.ok(tokenCalls >= 1, 'the token callback was never asked');
      assert.ok(admitted.announces > 0, 'the tracker accepted no announce from the valid-token viewers');
      assert.equal(admitted.rejections['unauthorized'] ?? 0, 0, 'the tracker refused a valid token');
      // Two viewers of one swarm, both admitted: the tracker introduced them to each other.
      assert.ok(stats.some((s) => s.peers > 0 || s.p2pBytes > 0), 'the admitted viewers never connected to each other');
      await byString.close();

      const intruder = await openViewer(browser, stack, { trackers, originToken: true, level: 0 }, { tokenCallback: forged });
      open.push(intruder);
      await sleep(10_000);
      const refused = await trackerStats(stack);
      const intruderStats = await intruder.stats();
      const intruderTime = await intruder.currentTime();
      const intruderFatal = await fatalErrors(intruder);
      console.log(`  forged token: tracker ${JSON.stringify(refused)}; currentTime ${intruderTime}, fatal errors ${intruderFatal.length}`);
      // The origin refuses its playlist (401), so it never loads a segment and p2p-media-loader never
      // opens its tracker socket: no session (the tracker's refusal of a forged token at upgrade is
      // covered by the tracker's own tests).
      assert.ok(refused.connections <= 1, `the tracker holds ${refused.connections} sockets: the forged-token viewer got one`);
      assert.equal(intruderStats.peers, 0);
      assert.equal(intruderStats.httpBytes + intruderStats.p2pBytes, 0, 'the forged-token viewer received segment data');
      assert.equal(intruderTime, 0, 'the forged-token viewer played');
      const intruderErrors = await intruder.page.evaluate(() => (window as unknown as { swarmcastErrors: Array<{ code: string }> }).swarmcastErrors);
      assert.ok(
        intruderErrors.some((e) => e.code === 'hls'),
        'the origin refused the playlist (401) but the player reported no error',
      );
      // The admitted viewer is unaffected by the intruder.
      assert.deepEqual(await fatalErrors(byCallback), []);
    });
  });

  describe('short-lived tokens renewed in Chromium (loopback namespace)', { timeout: 3 * 60_000 }, () => {
    const TTL_SEC = 20;
    let stack: Stack;
    let browser: BrowserHandle;
    const open: Viewer[] = [];
    before(async () => {
      // Announces every 10 s and a sweep every 5 s: a socket outliving its token is closed (4401) within seconds.
      stack = await startStack({ tracker: { trackerAuth: 'required', tokenKeys: [KEY], announceIntervalSec: 10 }, origin: { tokenKeys: [KEY] } });
      browser = await launchChromium();
    });
    after(async () => {
      for (const viewer of open) await viewer.close().catch(() => undefined);
      await browser?.close();
      await stack?.close();
    });

    test('two viewers with 20 s tokens keep the tracker and their peers long after the first token expired: renewed in time, never refused', async () => {
      // The site's backend: every call mints a token that lasts 20 s from now.
      const mint = () => mintToken({ swarms: ['*'], ttlSec: TTL_SEC }, KEY);
      const startedAt = Date.now();
      for (let i = 0; i < 2; i++) {
        const viewer = await openViewer(browser, stack, { trackers: [stack.trackerUrl], originToken: true, level: 0 }, { tokenCallback: mint });
        open.push(viewer);
        await viewer.page.evaluate(() => {
          const w = window as unknown as { peerConnects: number[]; player: { on(name: string, listener: (event: { state: string }) => void): void } };
          w.peerConnects = [];
          w.player.on('peer', (event) => event.state === 'connected' && w.peerConnects.push(Date.now()));
        });
        await sleep(1000);
      }
      // Every first token has expired (the second viewer's ~1 s after the first's).
      const expiredAt = startedAt + (TTL_SEC + 2) * 1000;
      await sleep(expiredAt + 2000 - Date.now());
      const before = { stats: await Promise.all(open.map((v) => v.stats())), time: await Promise.all(open.map((v) => v.currentTime())), tracker: await trackerStats(stack) };
      await sleep(startedAt + 65_000 - Date.now());
      const later = { stats: await Promise.all(open.map((v) => v.stats())), time: await Promise.all(open.map((v) => v.currentTime())), tracker: await trackerStats(stack) };
      const tokenCalls = await Promise.all(open.map((v) => v.page.evaluate(() => (window as unknown as { tokenCalls: number }).tokenCalls)));
      const reconnects = await Promise.all(open.map((v) => v.page.evaluate((since) => (window as unknown as { peerConnects: number[] }).peerConnects.filter((at) => at > since).length, expiredAt)));
      const p2pGrowth = later.stats.reduce((sum, s) => sum + s.p2pBytes, 0) - before.stats.reduce((sum, s) => sum + s.p2pBytes, 0);
      // currentTime alone would hide a stall: hls.js jumps to the live edge once segments flow again.
      const stalledMs = later.stats.map((s, i) => s.stalledMs - before.stats[i]!.stalledMs);
      console.log(
        `  20 s tokens, 65 s: callback asked ${tokenCalls.join(' / ')}×; peer connects after expiry ${reconnects.join(' / ')}; ` +
          `p2p after expiry +${p2pGrowth} B; played after expiry ${later.time.map((t, i) => (t - before.time[i]!).toFixed(1)).join(' / ')} s, stalled ${stalledMs.join(' / ')} ms; ` +
          `fallback ${later.stats.map((s) => s.fallbackReason).join(' / ')}; tracker ${JSON.stringify(later.tracker)}`,
      );
      const { rejections } = later.tracker;
      assert.equal(rejections['token_expired'] ?? 0, 0, 'the tracker closed a socket whose token had expired: the player kept using its first token');
      assert.equal(rejections['unauthorized'] ?? 0, 0, 'the tracker refused a reconnection (an expired token in the URL)');
      assert.equal(rejections['peer_id_taken'] ?? 0, 0, 'a renewed socket announced before the tracker had seen the old one close');
      for (const [i, viewer] of open.entries()) {
        assert.deepEqual(await fatalErrors(viewer), [], `viewer ${i} had a fatal error`);
        assert.ok(tokenCalls[i]! >= 4, `viewer ${i} asked its token callback only ${tokenCalls[i]}× in 65 s of 20 s tokens`);
        assert.ok(later.time[i]! - before.time[i]! > 20, `viewer ${i} played only ${(later.time[i]! - before.time[i]!).toFixed(1)} s in the 41 s after its token expired`);
        // Origin requests renew the token too (ORIGIN_AUTH=required): a refused segment would stall for the rest of the token's refresh interval.
        assert.ok(stalledMs[i]! < 20_000, `viewer ${i} stalled ${stalledMs[i]} ms of the 41 s after its token expired`);
        assert.ok(reconnects[i]! > 0, `viewer ${i} never reconnected to a peer after its first token expired`);
        assert.notEqual(later.stats[i]!.fallbackReason, 'tracker-unreachable', `viewer ${i} lost the tracker`);
      }
      assert.ok(later.tracker.announces > before.tracker.announces, 'no announce reached the tracker after the first tokens expired');
      assert.ok(p2pGrowth > 0, 'no segment data between the viewers after their first tokens expired');
    });
  });
});
