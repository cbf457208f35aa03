/** The tracker's HTTP side from its WebSocket URL. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trackerHttpUrl } from '../src/urls.ts';

test('ws → http and wss → https on the same host and port, with the given path', () => {
  assert.equal(trackerHttpUrl('ws://127.0.0.1:8000', '/stats'), 'http://127.0.0.1:8000/stats');
  assert.equal(trackerHttpUrl('wss://tracker.example/announce', '/telemetry'), 'https://tracker.example/telemetry');
  assert.equal(trackerHttpUrl('wss://tracker.example:8443/', '/coordination'), 'https://tracker.example:8443/coordination');
});

test('only the query parameters asked for are kept; the fragment is dropped', () => {
  const tracker = 'wss://tracker.example/announce?token=t%2B1&debug=1#x';
  assert.equal(trackerHttpUrl(tracker, '/telemetry'), 'https://tracker.example/telemetry');
  assert.equal(trackerHttpUrl(tracker, '/coordination', ['token']), 'https://tracker.example/coordination?token=t%2B1');
  assert.equal(trackerHttpUrl('ws://127.0.0.1:8000', '/coordination', ['token']), 'http://127.0.0.1:8000/coordination');
});
