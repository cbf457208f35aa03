import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, defaults, envNames, integer, InvalidValue, list, loadSettings, oneOf, referenceTable, setting, text, tokenKeysSetting } from '@swarmcast/config';

const settings = {
  port: setting({ env: 'PORT', default: 8000, parse: integer(0, 65535), doc: 'listen port' }),
  mode: setting({ env: 'MODE', default: 'off', parse: oneOf(['off', 'required']), doc: '`required`: check tokens' }),
  names: setting({ env: 'NAMES', parse: list('names'), doc: 'the only names; unset: any' }),
  secret: setting({ env: 'SECRET', parse: (raw) => (raw.length >= 8 ? raw : invalidSecret()), secret: true, doc: 'a secret' }),
  folder: setting({ env: 'FOLDER', default: '/srv/media', parse: text, docDefault: '`media` (bundled)', doc: 'media folder' }),
  keys: tokenKeysSetting,
};

function invalidSecret(): never {
  throw new InvalidValue('at least 8 characters');
}

test('unset and empty variables keep their defaults; set ones are parsed', () => {
  assert.deepEqual(loadSettings(settings, {}), { port: 8000, mode: 'off', names: undefined, secret: undefined, folder: '/srv/media', keys: [] });
  assert.deepEqual(loadSettings(settings, { PORT: '', NAMES: '' }), defaults(settings));
  const loaded = loadSettings(settings, { PORT: '0', MODE: 'required', NAMES: 'a, b,,c', SECRET: 'long enough' });
  assert.deepEqual([loaded.port, loaded.mode, loaded.names, loaded.secret], [0, 'required', ['a', 'b', 'c'], 'long enough']);
});

test('a bad value is a ConfigError naming the variable, the value and what was expected', () => {
  assert.throws(() => loadSettings(settings, { PORT: 'eighty' }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.variable, 'PORT');
    assert.equal(String(error), 'ConfigError: PORT="eighty" is invalid: PORT must be an integer from 0 to 65535');
    return true;
  });
  assert.throws(() => loadSettings(settings, { MODE: 'yes' }), /^ConfigError: MODE="yes" is invalid: MODE must be off or required$/);
});

test('a secret setting never repeats its value in an error', () => {
  assert.throws(() => loadSettings(settings, { SECRET: 'short' }), (error: Error) => error.message === 'SECRET=<secret> is invalid: SECRET must be at least 8 characters');
  assert.throws(() => loadSettings(settings, { TRACKER_TOKEN_KEYS: 'too-short-key' }), (error: Error) => /^TRACKER_TOKEN_KEYS=<secret> is invalid/.test(error.message) && !error.message.includes('too-short-key'));
});

test('a parser that fails for another reason than the value is not dressed up as a configuration error', () => {
  const broken = { value: setting({ env: 'VALUE', parse: () => assert.fail('bug'), doc: '' }) };
  assert.throws(() => loadSettings(broken, { VALUE: 'x' }), (error: unknown) => !(error instanceof ConfigError));
});

test('token keys: one or two, each at least 16 characters', () => {
  const key = 'k'.repeat(16);
  const keys = { keys: tokenKeysSetting };
  assert.deepEqual(loadSettings(keys, { TRACKER_TOKEN_KEYS: `${key}1, ${key}2` }).keys, [`${key}1`, `${key}2`]);
  assert.throws(() => loadSettings(keys, { TRACKER_TOKEN_KEYS: `${key},${key},${key}` }), /must be one or two keys/);
  assert.throws(() => loadSettings(keys, { TRACKER_TOKEN_KEYS: ',' }), /must be one or two keys/);
});

test('envNames and defaults follow the table', () => {
  assert.deepEqual(envNames(settings), { port: 'PORT', mode: 'MODE', names: 'NAMES', secret: 'SECRET', folder: 'FOLDER', keys: 'TRACKER_TOKEN_KEYS' });
  assert.equal(defaults(settings).port, 8000);
});

test('the reference table has a row per setting, in order, with its default and doc', () => {
  assert.equal(
    referenceTable(settings),
    [
      '| variable | default | meaning |',
      '| --- | --- | --- |',
      '| `PORT` | `8000` | listen port |',
      '| `MODE` | `off` | `required`: check tokens |',
      '| `NAMES` | unset | the only names; unset: any |',
      '| `SECRET` | unset | a secret |',
      '| `FOLDER` | `media` (bundled) | media folder |',
      `| \`TRACKER_TOKEN_KEYS\` | unset | ${tokenKeysSetting.doc} |`,
    ].join('\n'),
  );
});
