import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultOptions, OptionError, resolveOptions, type SwarmcastOptions } from '../src/options.ts';

test('defaults fill every option; relative src resolves against the page', () => {
  const options = resolveOptions({ src: '/live/sample/master.m3u8' }, 'http://cdn.example/page');
  assert.equal(options.src, 'http://cdn.example/live/sample/master.m3u8');
  for (const key of Object.keys(defaultOptions) as Array<keyof typeof defaultOptions>) assert.deepEqual(options[key], defaultOptions[key], key);
});

test('undefined means default', () => {
  assert.equal(resolveOptions({ src: 'http://a/b.m3u8', p2p: undefined }).p2p, true);
});

test('a token is added to every tracker URL', () => {
  const options = resolveOptions({ src: 'http://a/b.m3u8', trackers: ['ws://t1:8000', 'wss://t2/announce?x=1'], token: 'abc' });
  assert.deepEqual(options.trackers, ['ws://t1:8000/?token=abc', 'wss://t2/announce?x=1&token=abc']);
});

test('integrity accepts auto, booleans and a manifest URL (resolved against src)', () => {
  assert.equal(resolveOptions({ src: 'http://a/s/m.m3u8', integrity: 'hashes.json' }).integrity, 'http://a/s/hashes.json');
  assert.equal(resolveOptions({ src: 'http://a/s/m.m3u8', integrity: false }).integrity, false);
});

const bad: Array<[string, Partial<SwarmcastOptions>]> = [
  ['src', { src: '' }],
  ['src', { src: 'ftp://a/b.m3u8' }],
  ['trackers[0]', { trackers: ['http://not-a-websocket'] }],
  ['trackers', { trackers: 'ws://x' as unknown as string[] }],
  ['token', { token: '' }],
  ['swarmId', { swarmId: '' }],
  ['p2p', { p2p: 'yes' as unknown as boolean }],
  ['upload', { upload: 'sometimes' as unknown as boolean }],
  ['liveLatency', { liveLatency: 0 }],
  ['httpFallbackBuffer', { httpFallbackBuffer: -1 }],
  ['httpFallbackBuffer', { liveLatency: 4, httpFallbackBuffer: 5 }],
  ['policy', { policy: 'fastest' as never }],
  ['level', { level: 1.5 }],
  ['statsIntervalMs', { statsIntervalMs: Number.NaN }],
  ['autoplay', { autoplay: 1 as unknown as boolean }],
];

for (const [option, input] of bad) {
  test(`rejects a bad ${option}: ${JSON.stringify(input)}`, () => {
    assert.throws(
      () => resolveOptions({ src: 'http://a/b.m3u8', ...input } as SwarmcastOptions),
      (error: unknown) => error instanceof OptionError && error.option === option && error.message.includes(option),
    );
  });
}

test('options must be an object', () => {
  assert.throws(() => resolveOptions(null as unknown as SwarmcastOptions), OptionError);
});
