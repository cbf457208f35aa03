/**
 * Mints an access token, as a site backend would:
 *   TRACKER_TOKEN_KEYS=<key> npm run token -w tracker -- --swarm <swarm id> [--swarm …] [--info-hash <20 chars>] [--ttl 3600]
 * Prints the token on stdout. The first key of TRACKER_TOKEN_KEYS signs (the current one).
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadSettings, tokenKeysSetting } from '@swarmcast/config';
import { mintToken } from '@swarmcast/protocol/access-token';

const USAGE = 'usage: TRACKER_TOKEN_KEYS=<key> npm run token -w tracker -- --swarm <swarm id | *> [--swarm …] [--info-hash <info_hash>] [--ttl <seconds>]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        swarm: { type: 'string', multiple: true, default: [] },
        'info-hash': { type: 'string', multiple: true, default: [] },
        ttl: { type: 'string', default: '3600' },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
}

const { values } = parseCommandLine();
let keys: string[] = [];
try {
  ({ keys } = loadSettings({ keys: tokenKeysSetting }));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  fail(error.message);
}
const key = keys[0];
if (key === undefined) fail(`${tokenKeysSetting.env} must hold the signing key`);
const ttlSec = Number(values.ttl);
if (!Number.isInteger(ttlSec) || ttlSec <= 0) fail(`--ttl must be a positive number of seconds, got "${values.ttl}"`);
if (values.swarm.length + values['info-hash'].length === 0) fail('give at least one --swarm or --info-hash');
try {
  console.log(mintToken({ swarms: values.swarm, infoHashes: values['info-hash'], ttlSec }, key));
} catch (error) {
  fail((error as Error).message);
}
