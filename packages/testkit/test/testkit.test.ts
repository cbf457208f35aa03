import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { acceptsConnections, freePort, malleatedSpellings, portIsFree, until, waitFor } from '@swarmcast/testkit';

test('malleated spellings decode to the signature of the token but are other strings', () => {
  // Bytes whose base64url has '-' and '_', so that the standard-base64 spelling differs from it.
  const signature = Buffer.alloc(32, 0xfb).toString('base64url');
  const token = `eyJzIjpbIioiXX0.${signature}`;
  const spellings = malleatedSpellings(token);
  assert.equal(new Set([token, ...spellings]).size, spellings.length + 1, 'every spelling differs from the token and from the others');
  for (const spelling of spellings) {
    const decoded = Buffer.from(spelling.split('.')[1]!, 'base64url');
    assert.deepEqual(decoded.subarray(0, 32), Buffer.from(signature, 'base64url'), spelling);
  }
});

test('freePort gives a port nothing listens on; acceptsConnections sees a listener', async () => {
  const port = await freePort();
  assert.equal(await portIsFree(port), true);
  assert.equal(await acceptsConnections(port), false);
  const server = createServer().listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    assert.equal(await acceptsConnections(port), true);
    assert.equal(await portIsFree(port), false);
  } finally {
    server.close();
  }
});

test('until resolves once the check holds and names what did not happen in time', async () => {
  let calls = 0;
  await until(() => ++calls === 3, 'the third call', { timeoutMs: 1000, intervalMs: 1 });
  assert.equal(calls, 3);
  await assert.rejects(until(() => false, 'never', { timeoutMs: 20, intervalMs: 5 }), /^Error: never: not within 20 ms$/);
});

test('waitFor returns the first value that is done, or the last one read when time runs out', async () => {
  let n = 0;
  assert.equal(await waitFor(async () => ++n, (value) => value >= 4, { timeoutMs: 1000, intervalMs: 1 }), 4);
  const last = await waitFor(async () => ++n, () => false, { timeoutMs: 20, intervalMs: 5 });
  assert.ok(last > 4);
});
