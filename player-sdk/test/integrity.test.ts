import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { Emitter } from '../src/events.ts';
import { integrityCheckFor } from '../src/integrity-check.ts';
import {
  IntegrityManifest,
  MANIFEST_RETRY_MAX_MS,
  ManifestHttpError,
  manifestKey,
  manifestRetryDelayMs,
  manifestUrlFor,
  sha256Hex,
} from '../src/integrity.ts';

const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;
const hex = (text: string) => createHash('sha256').update(text).digest('hex');

test('the manifest sits next to the master playlist; keys are paths relative to it', () => {
  const manifest = manifestUrlFor('http://o/live/sample/master.m3u8?x=1');
  assert.equal(manifest, 'http://o/live/sample/segments-sha256.json');
  assert.equal(manifestKey('http://o/live/sample/240p/12.ts', manifest), '240p/12.ts');
  assert.equal(manifestKey('http://o/vod/other/240p/12.ts', manifest), null);
  assert.equal(manifestKey('http://elsewhere/live/sample/240p/12.ts', manifest), null);
});

test('sha256Hex matches node:crypto', async () => {
  assert.equal(await sha256Hex(bytes('segment')), hex('segment'));
});

test('valid, altered and unknown segments', async () => {
  const manifest = new IntegrityManifest('http://o/s/segments-sha256.json', async () => ({ '240p/1.ts': hex('one') }));
  await manifest.load();
  assert.equal(await manifest.verify('http://o/s/240p/1.ts', bytes('one')), 'valid');
  assert.equal(await manifest.verify('http://o/s/240p/1.ts', bytes('0ne')), 'altered');
  assert.equal(await manifest.verify('http://o/s/240p/2.ts', bytes('two')), 'unknown');
});

test('a key missing from a live manifest triggers one refetch, at most once a second', async () => {
  let now = 0;
  let fetches = 0;
  const body: Record<string, string> = { '240p/1.ts': hex('one') };
  const manifest = new IntegrityManifest('http://o/s/segments-sha256.json', async () => (fetches++, { ...body }), () => now);
  await manifest.load();
  body['240p/2.ts'] = hex('two');
  assert.equal(await manifest.verify('http://o/s/240p/2.ts', bytes('two')), 'unknown', 'refetch is rate-limited');
  now = 1500;
  assert.equal(await manifest.verify('http://o/s/240p/2.ts', bytes('two')), 'valid');
  assert.equal(fetches, 2);
});

test('a manifest that is not a JSON object is refused', async () => {
  await assert.rejects(new IntegrityManifest('http://o/m.json', async () => [1, 2]).load());
});

test('retry delays double from 1 s to 30 s, each drawn from the upper half', () => {
  assert.deepEqual([1, 2, 3].map((failures) => manifestRetryDelayMs(failures, 0)), [500, 1000, 2000]);
  assert.deepEqual([1, 2, 3].map((failures) => manifestRetryDelayMs(failures, 0.5)), [750, 1500, 3000]);
  assert.equal(manifestRetryDelayMs(50, 0), MANIFEST_RETRY_MAX_MS / 2);
  assert.equal(manifestRetryDelayMs(50, 0.99999), MANIFEST_RETRY_MAX_MS);
});

/** An IntegrityCheck whose manifest requests answer `respond()` (a body, or a thrown error). */
function check(integrity: 'auto' | true, respond: () => unknown) {
  const emitter = new Emitter();
  const events: Array<{ name: string; event: unknown }> = [];
  emitter.on('error', (event) => events.push({ name: 'error', event }));
  emitter.on('fallback', (event) => events.push({ name: 'fallback', event }));
  const stats = { enabled: false, verified: 0, rejected: 0, bannedPeers: 0 };
  let fetches = 0;
  let allowed = 0;
  const subject = integrityCheckFor(
    { integrity, src: 'http://o/s/master.m3u8' },
    {
      fetchJson: async () => {
        fetches++;
        const answer = respond();
        if (answer instanceof Error) throw answer;
        return answer;
      },
      stats,
      emitter,
      onPeersAllowed: () => allowed++,
      random: () => 0.5,
    },
  )!;
  return { subject, stats, events, fetches: () => fetches, allowed: () => allowed };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('IntegrityCheck: the manifest', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test("'auto', origin answers 503: peers stay off, attempts back off, and peers come on when it loads", async () => {
    let answer: unknown = new ManifestHttpError('http://o/s/segments-sha256.json', 503);
    const c = check('auto', () => answer);
    await settle();
    assert.equal(c.subject.holdsPeersOff, true);
    assert.equal(c.fetches(), 1);
    // Peer data that arrives meanwhile (P2P is off, but a straggler) is rejected: it cannot be checked.
    c.subject.peerStarted('http://o/s/240p/1.ts', 'peer-a');
    assert.equal(await c.subject.validateP2P('http://o/s/240p/1.ts', undefined, bytes('one')), false);
    // Origin-only bytes are fine.
    assert.equal(await c.subject.validateHttp('http://o/s/240p/2.ts', undefined, bytes('two')), true);
    for (const [waitMs, fetches] of [[749, 1], [1, 2], [1499, 2], [1, 3], [3000, 4]] as const) {
      mock.timers.tick(waitMs);
      await settle();
      assert.equal(c.fetches(), fetches, `after ${waitMs} ms more`);
    }
    assert.equal(c.subject.holdsPeersOff, true);
    assert.equal(c.allowed(), 0);
    assert.ok(c.events.filter((e) => e.name === 'error').length >= 4);
    assert.match(JSON.stringify(c.events.find((e) => e.name === 'error')), /HTTP 503.*peers stay off/);

    answer = { '240p/1.ts': hex('one') };
    mock.timers.tick(6000);
    await settle();
    assert.equal(c.subject.status, 'loaded');
    assert.equal(c.subject.holdsPeersOff, false);
    assert.equal(c.allowed(), 1);
    assert.equal(c.stats.enabled, true);
    c.subject.peerStarted('http://o/s/240p/1.ts', 'peer-a');
    assert.equal(await c.subject.validateP2P('http://o/s/240p/1.ts', undefined, bytes('one')), true);
    mock.timers.tick(60_000);
    await settle();
    assert.equal(c.fetches(), 5, 'no attempt after it loaded');
  });

  test("'auto', network error or malformed body: retried like a 5xx", async () => {
    let answer: unknown = new TypeError('Failed to fetch');
    const c = check('auto', () => answer);
    await settle();
    answer = [1, 2];
    mock.timers.tick(750);
    await settle();
    assert.equal(c.fetches(), 2);
    assert.equal(c.subject.holdsPeersOff, true);
    c.subject.stop();
    mock.timers.tick(60_000);
    await settle();
    assert.equal(c.fetches(), 2, 'stop() ends the retries');
  });

  test("'auto', origin answers 404: the site publishes none, peers are used unchecked", async () => {
    const c = check('auto', () => new ManifestHttpError('http://o/s/segments-sha256.json', 404));
    await settle();
    assert.equal(c.subject.status, 'unpublished');
    assert.equal(c.allowed(), 1);
    assert.equal(c.stats.enabled, false);
    c.subject.peerStarted('http://o/s/240p/1.ts', 'peer-a');
    assert.equal(await c.subject.validateP2P('http://o/s/240p/1.ts', undefined, bytes('anything')), true);
    mock.timers.tick(60_000);
    await settle();
    assert.equal(c.fetches(), 1);
  });

  test('required (true or a URL), origin answers 404: peers stay off and it keeps asking', async () => {
    const c = check(true, () => new ManifestHttpError('http://o/s/segments-sha256.json', 404));
    await settle();
    mock.timers.tick(750);
    await settle();
    assert.equal(c.fetches(), 2);
    assert.equal(c.subject.holdsPeersOff, true);
    assert.equal(c.allowed(), 0);
    c.subject.stop();
  });
});

describe('IntegrityCheck: segments', () => {
  const manifest = { '240p/1.ts': hex('one'), '240p/2.ts': hex('two') };
  const loaded = async () => {
    const c = check('auto', () => manifest);
    await settle();
    assert.equal(c.subject.status, 'loaded');
    return c;
  };

  test('a peer-started segment completed over HTTP (Range) is kept only if valid: unknown is rejected and reported', async () => {
    const c = await loaded();
    c.subject.peerStarted('http://o/s/240p/9.ts', 'peer-a');
    assert.equal(await c.subject.validateHttp('http://o/s/240p/9.ts', undefined, bytes('nine')), false);
    assert.deepEqual(c.events.at(-1), { name: 'fallback', event: { reason: 'integrity', verdict: 'unknown', url: 'http://o/s/240p/9.ts', peerId: 'peer-a' } });
    assert.equal(c.stats.rejected, 1);
    assert.equal(c.stats.bannedPeers, 0, 'an unlisted segment proves nothing against the peer');
    // The refetch is origin-only: trusted for what the manifest does not list.
    assert.equal(await c.subject.validateHttp('http://o/s/240p/9.ts', undefined, bytes('nine')), true);
    c.subject.peerStarted('http://o/s/240p/1.ts', 'peer-a');
    assert.equal(await c.subject.validateHttp('http://o/s/240p/1.ts', undefined, bytes('one')), true);
    assert.equal(c.stats.verified, 1);
  });

  test('altered data: the lone sender is banned, several senders are not; origin-only data that contradicts the manifest is rejected', async () => {
    const c = await loaded();
    c.subject.peerStarted('http://o/s/240p/1.ts', 'peer-a');
    c.subject.peerStarted('http://o/s/240p/1.ts', 'peer-b');
    assert.equal(await c.subject.validateHttp('http://o/s/240p/1.ts', undefined, bytes('0ne')), false);
    assert.equal(c.stats.bannedPeers, 0);
    c.subject.peerStarted('http://o/s/240p/2.ts', 'peer-a');
    assert.equal(await c.subject.validateP2P('http://o/s/240p/2.ts', undefined, bytes('tw0')), false);
    assert.equal(c.stats.bannedPeers, 1);
    assert.ok(c.events.some((e) => e.name === 'error' && JSON.stringify(e.event).includes('peer-a sent altered data')));
    c.subject.peerStarted('http://o/s/240p/2.ts', 'peer-a');
    assert.equal(await c.subject.validateP2P('http://o/s/240p/2.ts', undefined, bytes('two')), false, 'a banned peer is rejected unread');
    assert.equal(await c.subject.validateHttp('http://o/s/240p/1.ts', undefined, bytes('0ne')), false);
    assert.equal(c.stats.rejected, 4);
  });
});
