/** Access control: signed tokens at the tracker (the tokens themselves: packages/protocol), the origin and info_hash allow-lists, the token CLI. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { infoHashFor, mintToken, TokenVerifier } from '@swarmcast/protocol/access-token';
import { ConfigError, loadConfig } from '../src/config.ts';
import { id20, isAnnounceResponse, isFailure, tryUpgrade, TSX_EXEC_ARGV, WireClient } from '@swarmcast/testkit';
import { closedAfterTests, type RunningTracker } from './support/tracker-fixture.ts';

const CURRENT = 'current-key-0123456789';
const PREVIOUS = 'previous-key-0123456789';

const { start, keep } = closedAfterTests();

async function connect(url: string, headers: Record<string, string> = {}): Promise<WireClient> {
  const client = await WireClient.connect(url, { headers });
  return keep(client);
}

async function rejections(tracker: RunningTracker): Promise<Record<string, number>> {
  const metrics = await (await fetch(tracker.httpUrl + '/metrics')).text();
  return Object.fromEntries([...metrics.matchAll(/^swarmcast_tracker_rejections_total\{reason="(\w+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

describe('access tokens', () => {
  test('TRACKER_AUTH=required: 401 without a valid token, failure reason for an uncovered info_hash', async () => {
    const tracker = await start({ trackerAuth: 'required', tokenKeys: [CURRENT, PREVIOUS] });
    const swarm = 'private-event';
    const token = mintToken({ swarms: [swarm], ttlSec: 3600 }, PREVIOUS);
    await assert.rejects(connect(tracker.url), /401/);
    await assert.rejects(connect(`${tracker.url}/?token=garbage`), /401/);
    await assert.rejects(connect(`${tracker.url}/?token=${mintToken({ swarms: [swarm], ttlSec: -1 }, CURRENT)}`), /401/);
    await assert.rejects(connect(`${tracker.url}/?token=${mintToken({ swarms: [swarm], ttlSec: 60 }, 'not-our-key-0123456789')}`), /401/);
    const refused = await tryUpgrade(tracker.httpUrl + '/');
    assert.equal(refused.status, 401);
    assert.deepEqual(JSON.parse(refused.body), { error: 'an access token is required (?token=)' });

    const client = await connect(`${tracker.url}/announce?token=${token}`);
    const covered = infoHashFor(swarm, 'main', '1');
    client.send({ action: 'announce', info_hash: covered, peer_id: id20('tok-a'), numwant: 0 });
    assert.equal((await client.next(isAnnounceResponse(covered)))['incomplete'], 1);
    const uncovered = infoHashFor('another-event', 'main', '0');
    client.send({ action: 'announce', info_hash: uncovered, peer_id: id20('tok-a') });
    const failure = await client.next(isFailure);
    assert.deepEqual(failure, { action: 'announce', 'failure reason': 'the access token does not cover this info_hash', info_hash: uncovered });
    client.send({ action: 'scrape' });
    assert.match(String((await client.next(isFailure))['failure reason']), /scrape is limited/);
    client.send({ action: 'scrape', info_hash: covered });
    assert.equal(((await client.next((f) => f['action'] === 'scrape'))['files'] as Record<string, { incomplete: number }>)[covered]!.incomplete, 1);

    const counts = await rejections(tracker);
    assert.equal(counts['unauthorized'], 5);
    assert.equal(counts['info_hash_not_allowed'], 2);
  });

  test('ALLOWED_ORIGINS refuses other origins with 403; ALLOW_EMPTY_ORIGIN decides for a missing header', async () => {
    const strict = await start({ allowedOrigins: ['https://video.example'] });
    await connect(strict.url, { origin: 'https://video.example' });
    await assert.rejects(connect(strict.url, { origin: 'https://evil.example' }), /403/);
    await assert.rejects(connect(strict.url), /403/);
    assert.equal((await rejections(strict))['origin_not_allowed'], 2);

    const lenient = await start({ allowedOrigins: ['https://video.example'], allowEmptyOrigin: true });
    await connect(lenient.url);
    await assert.rejects(connect(lenient.url, { origin: 'https://evil.example' }), /403/);
  });

  test('ALLOWED_INFO_HASHES: announces elsewhere get a failure reason', async () => {
    const config = loadConfig({ ALLOWED_INFO_HASHES: `${Buffer.from(id20('hex-listed'), 'latin1').toString('hex')}, ${id20('plain-listed')}` });
    assert.deepEqual(config.allowedInfoHashes, [id20('hex-listed'), id20('plain-listed')]);
    const tracker = await start({ allowedInfoHashes: config.allowedInfoHashes });
    const client = await connect(tracker.url);
    client.send({ action: 'announce', info_hash: id20('hex-listed'), peer_id: id20('al-a') });
    await client.next(isAnnounceResponse(id20('hex-listed')));
    client.send({ action: 'announce', info_hash: id20('not-listed'), peer_id: id20('al-a') });
    assert.equal((await client.next(isFailure))['failure reason'], 'this tracker does not serve this info_hash');
    assert.equal((await rejections(tracker))['info_hash_not_allowed'], 1);
  });

  test('configuration fails fast naming the variable', () => {
    assert.throws(() => loadConfig({ TRACKER_AUTH: 'required' }), (error: Error) => error instanceof ConfigError && /TRACKER_TOKEN_KEYS/.test(error.message));
    assert.throws(() => loadConfig({ TRACKER_AUTH: 'yes' }), /TRACKER_AUTH must be off or required/);
    assert.throws(() => loadConfig({ TRACKER_AUTH: 'required', TRACKER_TOKEN_KEYS: 'short' }), /TRACKER_TOKEN_KEYS must be/);
    assert.throws(() => loadConfig({ ALLOWED_ORIGINS: 'video.example' }), /ALLOWED_ORIGINS/);
    assert.throws(() => loadConfig({ ALLOWED_INFO_HASHES: 'abc' }), /ALLOWED_INFO_HASHES/);
    const config = loadConfig({ TRACKER_AUTH: 'required', TRACKER_TOKEN_KEYS: `${CURRENT},${PREVIOUS}`, ALLOWED_ORIGINS: 'https://a.example,http://b.example:8080', ALLOW_EMPTY_ORIGIN: 'true' });
    assert.deepEqual([config.trackerAuth, config.tokenKeys, config.allowedOrigins, config.allowEmptyOrigin], ['required', [CURRENT, PREVIOUS], ['https://a.example', 'http://b.example:8080'], true]);
  });

  test('npm run token prints a token the tracker accepts', async () => {
    const cli = fileURLToPath(new URL('../src/token-cli.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [...TSX_EXEC_ARGV, cli, '--swarm', 'cli-event', '--ttl', '600'], {
      env: { ...process.env, TRACKER_TOKEN_KEYS: `${CURRENT},${PREVIOUS}` },
    });
    const verified = new TokenVerifier([CURRENT]).verify(stdout.trim());
    assert.ok(verified.ok && verified.grant.covers(infoHashFor('cli-event', 'main', '0')));
    assert.ok(verified.grant.expiresAt - Date.now() <= 600_000 && verified.grant.expiresAt - Date.now() > 590_000);
  });
});
