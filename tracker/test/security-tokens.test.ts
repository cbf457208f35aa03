/**
 * Attacks on access tokens against the running tracker: malleated spellings of a valid token, a
 * flood of token variants and of distinct valid tokens (memory stays bounded), too many new tokens
 * from one address (429), and a socket that outlives its token (closed with 4401).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { infoHashFor, mintToken } from '@swarmcast/protocol/access-token';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { id20, isAnnounceResponse, malleatedSpellings, startTrackerProcess, tryUpgrade, WireClient, type TrackerProcess } from '@swarmcast/testkit';
import { closedAfterTests, type RunningTracker } from './support/tracker-fixture.ts';

const KEY = 'token-attack-key-0123456789';
const { start, keep } = closedAfterTests();

/** The swarm ids of a token as wide as allowed: 64 swarms, 4,096 info_hashes once derived. */
const wideSwarms = (label: string) => Array.from({ length: 64 }, (_, i) => `${label}-${i}`);

const upgradeStatus = async (url: string, localAddress?: string) => (await tryUpgrade(url, localAddress)).status;

const withToken = (tracker: { url: string }, token: string) => `${tracker.url}/?token=${encodeURIComponent(token)}`;

const rejections = async (tracker: RunningTracker | TrackerProcess) =>
  ((await (await fetch(tracker.httpUrl + '/stats')).json()) as TrackerStats).rejections;

describe('token spelling', () => {
  test('malleated spellings of a valid token are refused at upgrade (401); the token itself is let in', async () => {
    const tracker = await start({ trackerAuth: 'required', tokenKeys: [KEY], tokenChecksPerMinute: 1000 });
    const token = mintToken({ swarms: ['event'], ttlSec: 600 }, KEY);
    assert.equal(await upgradeStatus(withToken(tracker, token)), 101);
    for (const variant of malleatedSpellings(token)) assert.equal(await upgradeStatus(withToken(tracker, variant)), 401, variant);
    // Once the genuine token is cached, its variants must not ride on the cache either.
    for (const variant of malleatedSpellings(token)) assert.equal(await upgradeStatus(withToken(tracker, variant)), 401, variant);
  });
});

describe('upgrades per address', () => {
  test('new tokens beyond TOKEN_CHECKS_PER_MINUTE get 429 (upgrade and /coordination); a cached token and other addresses do not', async () => {
    const tracker = await start({ trackerAuth: 'required', tokenKeys: [KEY], tokenChecksPerMinute: 5 });
    const token = mintToken({ swarms: ['*'], ttlSec: 600 }, KEY);
    assert.equal(await upgradeStatus(withToken(tracker, token)), 101);
    for (let i = 0; i < 4; i++) assert.equal(await upgradeStatus(withToken(tracker, `garbage-${i}`)), 401);
    const refused = await tryUpgrade(`${tracker.httpUrl}/?token=garbage-5`);
    assert.equal(refused.status, 429);
    assert.deepEqual(JSON.parse(refused.body), { error: 'at most 5 new access tokens per minute per address' });
    assert.equal(await upgradeStatus(withToken(tracker, mintToken({ swarms: ['other'], ttlSec: 600 }, KEY))), 429, 'even a valid new token waits');
    const coordination = await fetch(`${tracker.httpUrl}/coordination?info_hash=${encodeURIComponent(id20('c'))}&peer_id=${encodeURIComponent(id20('p'))}`, {
      headers: { authorization: `Bearer ${mintToken({ swarms: ['third'], ttlSec: 600 }, KEY)}` },
    });
    assert.equal(coordination.status, 429);
    assert.equal(await upgradeStatus(withToken(tracker, token)), 101, 'the cached token is still let in');
    assert.equal(await upgradeStatus(withToken(tracker, mintToken({ swarms: ['fourth'], ttlSec: 600 }, KEY)), '127.0.0.2'), 101, 'another address has its own allowance');
    assert.equal((await rejections(tracker))['token_checks_exceeded'], 2);
  });
});

describe('a socket outlives its token', () => {
  test('the next announce after expiry closes the socket with 4401; offers are not relayed to it', { timeout: 20_000 }, async () => {
    const tracker = await start({ trackerAuth: 'required', tokenKeys: [KEY] });
    const swarm = infoHashFor('expiring', 'main', '0');
    const shortLived = mintToken({ swarms: ['expiring'], ttlSec: 2 }, KEY);
    const holder = keep(await WireClient.connect(withToken(tracker, shortLived)));
    const idle = keep(await WireClient.connect(withToken(tracker, shortLived)));
    holder.send({ action: 'announce', info_hash: swarm, peer_id: id20('expiring-a'), numwant: 0 });
    await holder.next(isAnnounceResponse(swarm));
    idle.send({ action: 'announce', info_hash: swarm, peer_id: id20('expiring-b'), numwant: 0 });
    await idle.next(isAnnounceResponse(swarm));

    const expiresAt = JSON.parse(Buffer.from(shortLived.split('.')[0]!, 'base64url').toString()).exp * 1000;
    await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 100));
    holder.send({ action: 'announce', info_hash: swarm, peer_id: id20('expiring-a'), numwant: 0 });
    assert.equal(await holder.closed, 4401);
    assert.equal(holder.socket.readyState, holder.socket.CLOSED);

    // A valid peer's offer would reach the idle holder: instead it is closed, and the offer goes nowhere.
    const peer = keep(await WireClient.connect(withToken(tracker, mintToken({ swarms: ['expiring'], ttlSec: 600 }, KEY))));
    const offers = [1, 2].map((n) => ({ offer_id: id20(`offer-${n}`), offer: { type: 'offer', sdp: 'v=0' } }));
    peer.send({ action: 'announce', info_hash: swarm, peer_id: id20('valid-c'), numwant: 2, offers });
    await peer.next(isAnnounceResponse(swarm));
    assert.equal(await idle.closed, 4401);
    assert.ok(!idle.frames.some((frame) => frame['offer'] !== undefined), 'no offer reached the expired holder');
    assert.equal((await rejections(tracker))['token_expired'], 2);
  });

  test('an idle socket is closed with 4401 once its token expires (checked every half announce interval)', { timeout: 20_000 }, async () => {
    const tracker = await start({ trackerAuth: 'required', tokenKeys: [KEY], announceIntervalSec: 2 });
    const token = mintToken({ swarms: ['*'], ttlSec: 2 }, KEY);
    const idle = keep(await WireClient.connect(withToken(tracker, token)));
    let reason = '';
    idle.socket.once('close', (_code, text) => (reason = text.toString()));
    const code = await Promise.race([idle.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 10_000))]);
    assert.equal(code, 4401);
    assert.equal(reason, 'access token expired');
  });
});

describe('memory under token floods (tracker process, heap read after a full GC)', () => {
  let tracker: TrackerProcess | undefined;
  after(() => tracker?.stop());
  /** Headroom over the baseline: the grant cache's 16 MiB plus what V8 keeps around. */
  const HEAP_TOLERANCE_BYTES = 40 * 1024 * 1024;
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

  /** Runs `count` upgrades, `parallel` at a time, spread over source addresses so no port range runs out. */
  async function flood(count: number, url: (i: number) => string, check: (status: number, i: number) => void, onProgress: (done: number) => Promise<void>) {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        check(await upgradeStatus(url(i), `127.0.0.${2 + (i % 8)}`), i);
        if ((i + 1) % 2000 === 0) await onProgress(i + 1);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }

  test('20,000 spellings of a 64-swarm token and 400 distinct valid ones leave the heap within the cache bound', { timeout: 180_000 }, async (t) => {
    tracker = await startTrackerProcess({ TRACKER_AUTH: 'required', TRACKER_TOKEN_KEYS: KEY, TOKEN_CHECKS_PER_MINUTE: '10000000' }, { heapProbe: true });
    const running = tracker;
    // What the tracker retains: a reading between V8's own collections would count garbage too.
    const heap = async () => (await running.collectGarbage()).memory.heapUsed;
    const token = mintToken({ swarms: wideSwarms('variant'), ttlSec: 3600 }, KEY);
    const [payload, signature] = token.split('.') as [string, string];
    // Warm up (JIT, the first grant) before the baseline.
    await flood(200, () => withToken(running, token), () => undefined, async () => undefined);
    const before = await heap();
    const withinBound = async (done: number) => {
      const used = await heap();
      assert.ok(used <= before + HEAP_TOLERANCE_BYTES, `after ${done} upgrades the heap grew ${mb(before)} → ${mb(used)}`);
    };

    // Characters outside the alphabet, spelled out in base 6 and put anywhere in the signature.
    const junk = (i: number) => [...i.toString(6)].map((digit) => '!*~$()'[Number(digit)]).join('');
    const variant = (i: number) => `${payload}.${signature.slice(0, i % 43)}${junk(i)}${signature.slice(i % 43)}`;
    let accepted = 0;
    await flood(20_000, (i) => withToken(running, variant(i)), (status) => (accepted += status === 101 ? 1 : 0), withinBound);
    assert.equal(accepted, 0, 'no malleated spelling was let in');

    // Distinct valid tokens, each announced in (so its grant is derived), then dropped.
    for (let i = 0; i < 400; i++) {
      const wide = mintToken({ swarms: wideSwarms(`valid-${i}`), ttlSec: 3600 }, KEY);
      const client = await WireClient.connect(withToken(running, wide));
      const swarm = infoHashFor(`valid-${i}-63`, 'secondary', '31');
      client.send({ action: 'announce', info_hash: swarm, peer_id: id20(`wide-${i}`), numwant: 0 });
      await client.next(isAnnounceResponse(swarm), 10_000);
      client.close();
      await client.closed;
      if ((i + 1) % 100 === 0) await withinBound(20_000 + i + 1);
    }
    const afterFlood = await heap();
    t.diagnostic(`heap used ${mb(before)} → ${mb(afterFlood)}; rejections ${JSON.stringify(await rejections(running))}`);
    assert.ok(afterFlood <= before + HEAP_TOLERANCE_BYTES, `heap ${mb(before)} → ${mb(afterFlood)}`);
    assert.equal(running.output().match(/unhandled|uncaught|FATAL/i), null, running.output().slice(-2000));
  });
});
