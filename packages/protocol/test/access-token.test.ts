/** Signed access tokens: what a token covers, how it expires, and that only its minted spelling verifies. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { id20, malleatedSpellings } from '@swarmcast/testkit';
import { infoHashFor, MAX_TOKEN_ENTRIES, mintToken, TokenVerifier } from '../src/access-token.ts';

const CURRENT = 'current-key-0123456789';
const PREVIOUS = 'previous-key-0123456789';
const NOW = Date.parse('2030-01-01T00:00:00Z');

test('verify: valid, expired, forged, tampered, rotated keys, swarm ids and info_hashes', () => {
  const verifier = new TokenVerifier([CURRENT, PREVIOUS]);
  const now = NOW;
  const token = mintToken({ swarms: ['event-42'], ttlSec: 60, now }, CURRENT);
  const verified = verifier.verify(token, now);
  assert.ok(verified.ok);
  assert.ok(verified.grant.covers(infoHashFor('event-42', 'main', '0')));
  assert.ok(verified.grant.covers(infoHashFor('event-42', 'secondary', '31')));
  assert.ok(!verified.grant.covers(infoHashFor('event-43', 'main', '0')));
  assert.ok(!verified.grant.covers(infoHashFor('event-42', 'main', '32')));

  assert.deepEqual(verifier.verify(token, now + 60_000), { ok: false, reason: 'access token expired' });
  assert.ok(verifier.verify(mintToken({ swarms: ['x'], ttlSec: 60, now }, PREVIOUS), now).ok, 'the previous key is still accepted');
  assert.match(String((verifier.verify(mintToken({ swarms: ['x'], ttlSec: 60, now }, 'some-other-key-0123456'), now) as { reason: string }).reason), /signature/);
  const [payload, signature] = token.split('.');
  const widened = Buffer.from(JSON.stringify({ exp: 9e9, swarms: ['*'] })).toString('base64url');
  assert.equal(verifier.verify(`${widened}.${signature}`, now).ok, false, 'a payload cannot be changed under its signature');
  for (const bad of [undefined, '', 'abc', `${payload}.`, `${payload}.${signature}.x`, 'x'.repeat(10_000)]) {
    assert.equal(verifier.verify(bad, now).ok, false, String(bad).slice(0, 20));
  }
  const byHash = verifier.verify(mintToken({ infoHashes: [id20('listed')], ttlSec: 60, now }, CURRENT), now);
  assert.ok(byHash.ok && byHash.grant.covers(id20('listed')) && !byHash.grant.covers(id20('other')));
  const everything = verifier.verify(mintToken({ swarms: ['*'], ttlSec: 60, now }, CURRENT), now);
  assert.ok(everything.ok && everything.grant.covers(id20('anything')));
});

test('a minted token is <payload>.<signature> in base64url, its payload the claims as JSON', () => {
  const token = mintToken({ swarms: ['event-42'], infoHashes: [id20('listed')], ttlSec: 60, now: NOW }, CURRENT);
  assert.match(token, /^[\w-]+\.[\w-]{43}$/);
  assert.deepEqual(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()), { exp: NOW / 1000 + 60, swarms: ['event-42'], hashes: [id20('listed')] });
});

test('minting refuses a token that covers nothing or too much', () => {
  assert.throws(() => mintToken({ ttlSec: 60 }, CURRENT), /at least one swarm id or info_hash/);
  const many = Array.from({ length: MAX_TOKEN_ENTRIES + 1 }, (_, i) => `event-${i}`);
  assert.throws(() => mintToken({ swarms: many, ttlSec: 60 }, CURRENT), new RegExp(`at most ${MAX_TOKEN_ENTRIES}`));
});

test('only the minted spelling verifies, and no other spelling is cached', () => {
  const verifier = new TokenVerifier([CURRENT]);
  const token = mintToken({ swarms: ['*'], ttlSec: 60, now: NOW }, CURRENT);
  assert.ok(verifier.verify(token, NOW).ok);
  for (const spelling of malleatedSpellings(token)) {
    assert.deepEqual(verifier.verify(spelling, NOW), { ok: false, reason: 'malformed access token' }, spelling);
    assert.equal(verifier.cached(spelling, NOW), undefined, spelling);
  }
});
