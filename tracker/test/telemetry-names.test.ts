// Attack: a stream name with Unicode bidirectional controls, so that the dashboard shows it as
// another stream's name. The controls are stripped before the beat is counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTracker } from '../src/app.ts';

const beat = (stream: string) => ({ v: 1, sid: 'bidi-session-0001', seq: 1, stream, http: 0, p2p: 0, up: 0, peers: 0, stalls: 0, stallMs: 0, watchMs: 1000, startupMs: null, latencyMs: null, errors: 0, rendition: null });

test('telemetry stream names lose their bidi controls; a name of nothing but controls is refused', async (t) => {
  const tracker = await buildTracker();
  t.after(() => tracker.close());
  const post = (stream: string) => tracker.inject({ method: 'POST', url: '/telemetry', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ beats: [beat(stream)] }) });
  assert.equal((await post('final\u202Elive\u202C \u2066show\u2069\u200F')).statusCode, 204);
  const names = ((await tracker.inject('/dashboard/api/streams')).json() as { streams: Array<{ stream: string }> }).streams.map((s) => s.stream);
  assert.deepEqual(names, ['finallive show']);
  const refused = await post('\u202E\u202C');
  assert.equal(refused.statusCode, 400);
  assert.match(refused.json()['failure reason'] ?? refused.body, /no visible characters/);
});
