import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { IntegrityManifest, manifestKey, manifestUrlFor, sha256Hex } from '../src/integrity.ts';

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
