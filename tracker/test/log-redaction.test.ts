// Attack: read the tracker's log and replay the access tokens in it. Tokens arrive in the
// WebSocket URL and on the HTTP routes (/coordination, /telemetry, anything else).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { mintToken } from '@swarmcast/protocol/access-token';
import { buildTracker } from '../src/app.ts';

test('no log line and no 404 body carries a token from the URL', async (t) => {
  const lines: string[] = [];
  const key = 'tracker-log-test-key-0123456789';
  const token = mintToken({ swarms: ['*'], ttlSec: 60 }, key);
  const tracker = await buildTracker({ logger: { level: 'debug', stream: { write: (line: string) => void lines.push(line) } }, trackerAuth: 'required', tokenKeys: [key] });
  t.after(() => tracker.close());
  const url = (await tracker.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws');
  for (const path of ['/nope', '/coordination', '/telemetry']) {
    const response = await fetch(`${url.replace(/^ws/, 'http')}${path}?token=${token}`);
    assert.doesNotMatch(await response.text(), new RegExp(token.slice(0, 24)), path);
  }
  for (const path of ['/', '/elsewhere']) {
    const socket = new WebSocket(`${url}${path}?token=${token}`);
    await new Promise((resolve) => {
      socket.once('open', resolve);
      socket.once('error', resolve);
    });
    socket.close();
  }
  assert.ok(lines.length > 0, 'the tracker logged');
  assert.doesNotMatch(lines.join('\n'), new RegExp(token.slice(0, 24)));
});
