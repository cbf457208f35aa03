import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { test } from 'node:test';
import { isPeerSecret, newPeerIdentity, provenSuffix, provesPeerId, withPeerSecret } from '@swarmcast/protocol/peer-proof';

const fresh = () => newPeerIdentity((bytes) => randomFillSync(bytes));

test("a new identity: p2p-media-loader 2.3's peer_id format, proven by its secret and by no other", () => {
  const { peerId, secret } = fresh();
  assert.match(peerId, /^-PM0203-[A-Za-z0-9]{12}$/);
  assert.ok(isPeerSecret(secret), secret);
  assert.ok(provesPeerId(provenSuffix(secret), peerId));
  // The prefix is the client's: the suffix is what is proven.
  assert.ok(provesPeerId(provenSuffix(secret), '-XX0000-' + peerId.slice(8)));
  const other = fresh();
  assert.notEqual(other.peerId, peerId);
  assert.ok(!provesPeerId(provenSuffix(other.secret), peerId));
  assert.ok(!provesPeerId(provenSuffix(secret), peerId + 'x'), 'only 20-character peer_ids');
});

test('the suffix is SHA-1 of "swarmcast peer_id:<secret>", each of its first 12 bytes mod 62 into [A-Za-z0-9]', () => {
  const secret = 'A'.repeat(22);
  const digest = createHash('sha1').update(`swarmcast peer_id:${secret}`).digest();
  const symbols = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  assert.equal(provenSuffix(secret), [...digest.subarray(0, 12)].map((byte) => symbols[byte % 62]).join(''));
});

test('secrets: 22 to 64 base64url characters; the tracker URL carries one as peer_secret, keeping its token', () => {
  for (const bad of ['', 'short', 'a'.repeat(21), 'a'.repeat(65), 'a'.repeat(21) + '+', 'a'.repeat(21) + '=']) assert.ok(!isPeerSecret(bad), bad);
  for (const good of ['a'.repeat(22), 'Az09_-'.repeat(10)]) assert.ok(isPeerSecret(good), good);
  const url = new URL(withPeerSecret('wss://tracker.example/?token=t.s', 'b'.repeat(22)));
  assert.deepEqual([url.searchParams.get('token'), url.searchParams.get('peer_secret')], ['t.s', 'b'.repeat(22)]);
});
