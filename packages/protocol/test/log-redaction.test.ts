/** Tokens in URLs never reach a log line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrlTokens } from '../src/log-redaction.ts';

test('token, access_token and peer_secret values are redacted wherever they sit in the query; the rest is kept', () => {
  assert.equal(redactUrlTokens('/vod/a/master.m3u8?token=abc.def'), '/vod/a/master.m3u8?token=[redacted]');
  assert.equal(redactUrlTokens('/?info_hash=x&TOKEN=abc&numwant=5'), '/?info_hash=x&TOKEN=[redacted]&numwant=5');
  assert.equal(redactUrlTokens('/live/a/1.ts?access_token=abc#t=1'), '/live/a/1.ts?access_token=[redacted]#t=1');
  assert.equal(redactUrlTokens('/?token=a&token=b'), '/?token=[redacted]&token=[redacted]');
  assert.equal(redactUrlTokens('/?peer_secret=abcdefghijklmnopqrstuv&token=t'), '/?peer_secret=[redacted]&token=[redacted]');
  assert.equal(redactUrlTokens('/mytoken=abc?atoken=abc'), '/mytoken=abc?atoken=abc');
});
