/**
 * ORIGIN_AUTH=required against malleated tokens: Node's base64url decoder ignores characters
 * outside the alphabet, padding and the last character's spare bits, so every such spelling of a
 * valid token used to be let in (and cached as a token of its own). Only the minted spelling is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mintToken } from '@swarmcast/protocol/access-token';
import { malleatedSpellings } from '@swarmcast/testkit';
import { testOrigin } from './fixture.ts';

const KEY = 'origin-spelling-key-0123456789';

test('only the minted spelling of a token opens /vod, by ?token= and by Bearer', async () => {
  const origin = testOrigin({ tokenKeys: [KEY] });
  const base = await origin.listen({ port: 0, host: '127.0.0.1' });
  try {
    const url = `${base}/vod/sample/master.m3u8`;
    const token = mintToken({ swarms: ['*'], ttlSec: 600 }, KEY);
    assert.equal((await fetch(`${url}?token=${encodeURIComponent(token)}`)).status, 200);
    for (const variant of malleatedSpellings(token)) {
      const byQuery = await fetch(`${url}?token=${encodeURIComponent(variant)}`);
      assert.equal(byQuery.status, 401, variant);
      assert.deepEqual(await byQuery.json(), { error: 'malformed access token' });
      assert.equal((await fetch(url, { headers: { authorization: `Bearer ${variant}` } })).status, 401, variant);
    }
  } finally {
    await origin.close();
  }
});
