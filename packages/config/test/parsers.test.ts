import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { decimal, flag, integer, InvalidValue, list, logLevelSetting, oneOf, path, readableFile, url, webOrigin } from '@swarmcast/config';

/** What a parser expected, or the value it returned. */
function outcome<T>(parse: (raw: string) => T, raw: string): T | string {
  try {
    return parse(raw);
  } catch (error) {
    assert.ok(error instanceof InvalidValue, `${raw}: ${String(error)}`);
    return `expected ${error.expected}`;
  }
}

test('integer: decimal digits within the range, nothing else', () => {
  const port = integer(0, 65535);
  assert.equal(outcome(port, '0'), 0);
  assert.equal(outcome(port, '65535'), 65535);
  for (const raw of ['65536', '-1', '1e3', '0x10', '8.0', ' 8', 'eighty']) assert.equal(outcome(port, raw), 'expected an integer from 0 to 65535', raw);
  assert.equal(outcome(integer(), '0'), `expected an integer from 1 to ${Number.MAX_SAFE_INTEGER}`);
});

test('decimal: finite numbers from the minimum', () => {
  assert.equal(outcome(decimal(0), '0.05'), 0.05);
  for (const raw of ['-0.01', 'free', ' ', 'Infinity']) assert.equal(outcome(decimal(0), raw), 'expected a number ≥ 0', raw);
});

test('flag: yes/no words in any case', () => {
  for (const raw of ['1', 'true', 'YES']) assert.equal(outcome(flag, raw), true);
  for (const raw of ['0', 'False', 'no']) assert.equal(outcome(flag, raw), false);
  assert.equal(outcome(flag, 'maybe'), 'expected true or false');
});

test('oneOf: the listed words only, listed in the message', () => {
  assert.equal(outcome(oneOf(['on', 'off']), 'off'), 'off');
  assert.equal(outcome(oneOf(['on', 'off']), 'On'), 'expected on or off');
  assert.equal(outcome((raw) => logLevelSetting.parse(raw, 'LOG_LEVEL'), 'loud'), 'expected one of fatal, error, warn, info, debug, trace, silent');
});

test('list: trimmed entries, at least one, each through its entry parser', () => {
  assert.deepEqual(outcome(list('names'), ' a ,b,, c'), ['a', 'b', 'c']);
  assert.equal(outcome(list('names'), ' , '), 'expected a comma list of names');
  const origins = list('origins like https://example.com', webOrigin);
  assert.deepEqual(outcome(origins, 'https://a.example, http://localhost:3000'), ['https://a.example', 'http://localhost:3000']);
  for (const raw of ['a.example', 'https://a.example/path', 'ftp://a.example']) assert.equal(outcome(origins, raw), 'expected a comma list of origins like https://example.com', raw);
  const lengths = list('words', (item) => item.length);
  assert.deepEqual(outcome(lengths, 'ab,c'), [2, 1]);
});

test('url: parses, with one of the schemes', () => {
  const redis = url(['redis:', 'rediss:']);
  assert.equal(outcome(redis, 'rediss://user:pw@cache:6380/0'), 'rediss://user:pw@cache:6380/0');
  for (const raw of ['http://cache:6379', 'cache:6379', 'redis//cache']) assert.equal(outcome(redis, raw), 'expected a redis:// or rediss:// URL', raw);
});

test('readableFile and path', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'swarmcast-config-')), 'cert.pem');
  writeFileSync(file, 'pem');
  assert.equal(outcome(readableFile, file), file);
  assert.equal(outcome(readableFile, file + '.missing'), 'expected a readable file');
  assert.equal(outcome(path, 'media'), resolve('media'));
});
