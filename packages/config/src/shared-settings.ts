/** Settings the tracker and the origin read alike, defined once so both parse them the same way. */
import { MIN_KEY_LENGTH } from '@swarmcast/protocol/access-token';
import { oneOf } from './parsers.ts';
import { InvalidValue, setting } from './settings.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logLevelSetting = setting({ env: 'LOG_LEVEL', default: 'info', parse: oneOf(LOG_LEVELS), doc: 'pino log level' });

/**
 * The HMAC keys access tokens are signed with: the tracker checks its WebSocket upgrades with them,
 * the origin its media requests (one token serves both), `npm run token` signs with the first.
 */
export const tokenKeysSetting = setting({
  env: 'TRACKER_TOKEN_KEYS',
  default: [],
  parse: (raw) => {
    const keys = raw.split(',').map((key) => key.trim()).filter(Boolean);
    if (keys.length === 0 || keys.length > 2 || keys.some((key) => key.length < MIN_KEY_LENGTH)) {
      throw new InvalidValue(`one or two keys (current,previous) of at least ${MIN_KEY_LENGTH} characters each`);
    }
    return keys;
  },
  secret: true,
  doc: `HMAC keys tokens are signed with, \`current[,previous]\`, at least ${MIN_KEY_LENGTH} characters each; the first signs (\`npm run token -w tracker\`)`,
});
