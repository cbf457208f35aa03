/** The telemetry beat: what the collector accepts, and the reason it gives for what it refuses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBatchParser, type Beat } from '../src/beat-schema.ts';
import { MAX_BEATS_PER_BATCH, MAX_STREAM_LENGTH } from '../src/telemetry.ts';

const parse = createBatchParser();

/** A beat as the player SDK sends one, 45 s into a live session. */
const BEAT: Beat = {
  v: 1,
  sid: 'AbCdEfGhIjKlMnOpQrStUv',
  seq: 3,
  stream: 'https://cdn.example/live/show/master.m3u8',
  http: 2_400_000,
  p2p: 1_600_000,
  up: 800_000,
  peers: 2,
  stalls: 1,
  stallMs: 420,
  watchMs: 45_000,
  startupMs: 850,
  latencyMs: 12_300,
  errors: 0,
  rendition: '360p',
};

const reasonFor = (body: unknown) => {
  const result = parse(JSON.stringify(body));
  return result.ok ? 'accepted' : result.reason;
};

test('real beats are accepted as sent: before the first frame, at the end of a session, a full batch', () => {
  const first = { ...BEAT, seq: 1, http: 0, p2p: 0, up: 0, stalls: 0, stallMs: 0, watchMs: 0, startupMs: null, latencyMs: null, rendition: null };
  const last = { ...BEAT, seq: 4, end: true };
  assert.deepEqual(parse(JSON.stringify({ beats: [first, BEAT, last] })), { ok: true, batch: { beats: [first, BEAT, last] } });
  assert.equal(reasonFor({ beats: Array(MAX_BEATS_PER_BATCH).fill(BEAT) }), 'accepted');
});

test('each bad field is refused with its path and what is wrong', () => {
  const { sid: _sid, ...withoutSid } = BEAT;
  const cases: Array<[Record<string, unknown>, string]> = [
    [withoutSid, 'beats.0.sid is required'],
    [{ ...BEAT, userId: 'someone' }, 'beats.0.userId is not a beat field'],
    [{ ...BEAT, v: 2 }, 'beats.0.v must be equal to constant'],
    [{ ...BEAT, v: '1' }, 'beats.0.v must be equal to constant'],
    [{ ...BEAT, sid: 'short' }, 'beats.0.sid must match pattern "^[A-Za-z0-9_-]{8,64}$"'],
    [{ ...BEAT, seq: 1.5 }, 'beats.0.seq must be integer'],
    [{ ...BEAT, stream: '' }, 'beats.0.stream must NOT have fewer than 1 characters'],
    [{ ...BEAT, stream: 'x'.repeat(MAX_STREAM_LENGTH + 1) }, `beats.0.stream must NOT have more than ${MAX_STREAM_LENGTH} characters`],
    [{ ...BEAT, stream: 'live\nshow' }, 'beats.0.stream must match pattern "^[^\\u0000-\\u001f]+$"'],
    [{ ...BEAT, http: -5 }, 'beats.0.http must be >= 0'],
    [{ ...BEAT, up: 2 ** 53 }, `beats.0.up must be <= ${Number.MAX_SAFE_INTEGER}`],
    [{ ...BEAT, peers: 1001 }, 'beats.0.peers must be <= 1000'],
    [{ ...BEAT, startupMs: '850' }, 'beats.0.startupMs must be integer,null'],
    [{ ...BEAT, latencyMs: 24 * 3600_000 + 1 }, 'beats.0.latencyMs must be <= 86400000'],
    [{ ...BEAT, rendition: 'has space' }, 'beats.0.rendition must match pattern "^[A-Za-z0-9_.-]{1,16}$"'],
    [{ ...BEAT, rendition: 360 }, 'beats.0.rendition must be string,null'],
    [{ ...BEAT, end: 'yes' }, 'beats.0.end must be boolean'],
  ];
  for (const [beat, reason] of cases) assert.equal(reasonFor({ beats: [beat] }), `invalid beat batch: ${reason}`);
});

test('a batch is an object with 1 to MAX_BEATS_PER_BATCH beats and nothing else', () => {
  assert.deepEqual(parse('{"beats": ['), { ok: false, code: 'invalid_json', reason: 'body is not valid JSON' });
  assert.equal(reasonFor([BEAT]), 'invalid beat batch: body must be object');
  assert.equal(reasonFor({}), 'invalid beat batch: body.beats is required');
  assert.equal(reasonFor({ beats: [] }), 'invalid beat batch: beats must NOT have fewer than 1 items');
  assert.equal(reasonFor({ beats: Array(MAX_BEATS_PER_BATCH + 1).fill(BEAT) }), `invalid beat batch: beats must NOT have more than ${MAX_BEATS_PER_BATCH} items`);
  assert.equal(reasonFor({ beats: [BEAT], site: 'x' }), 'invalid beat batch: body.site is not a beat field');
});

test('bidirectional controls are stripped from stream names; a name of nothing else is refused', () => {
  const result = parse(JSON.stringify({ beats: [{ ...BEAT, stream: 'show\u202elive\u2066' }] }));
  assert.ok(result.ok);
  assert.equal(result.batch.beats[0]!.stream, 'showlive');
  assert.equal(reasonFor({ beats: [{ ...BEAT, stream: '\u202e\u200f' }] }), 'invalid beat batch: beats.stream has no visible characters');
});
