/**
 * Origin configuration: `OriginOptions` for `buildOrigin`, and the table of environment variables
 * `main.ts` reads into them. `loadConfig` fails fast with the variable's name when a value is unusable.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  defaults,
  envNames,
  integer,
  invalid,
  InvalidValue,
  list,
  loadSettings,
  logLevelSetting,
  oneOf,
  path,
  readableFile,
  setting,
  text,
  tokenKeysSetting,
  webOrigin,
  type ConfigOf,
} from '@swarmcast/config';
import type { FastifyServerOptions } from 'fastify';

// The one ConfigError of every service, re-exported for those who load this configuration.
export { ConfigError } from '@swarmcast/config';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The player SDK's folder, wherever the package manager put it; its dist/ holds the bundle and the demo page once built. */
const playerSdkDir = dirname(createRequire(import.meta.url).resolve('@swarmcast/player-sdk/package.json'));

/** Options of `buildOrigin`. Every default lives in `defaultOriginOptions` below. */
export interface OriginOptions {
  /**
   * Folder whose subfolders are streams: `<mediaDir>/<name>/master.m3u8` and the files under it.
   * Indexed (sizes, hashes) once at start; restart to pick up new files.
   */
  mediaDir: string;
  /** Segments in a live media playlist. */
  liveWindowSegments: number;
  /** Instant (ms since the Unix epoch) at which live sequence 0 starts; the same on every origin. */
  liveEpochMs: number;
  /** `'*'` for any origin, or the exact origins allowed to read responses. */
  corsOrigins: '*' | string[];
  /** Demo page served at `/` (a placeholder is served while it is not built). */
  demoPage: string;
  /** Player SDK bundle served at `/sdk/swarmcast.min.js`. */
  sdkBundle: string;
  /** Clock for the live window; injectable so tests can move time. */
  now: () => number;
  /** PEM certificate and private key files: serve https:// directly, without a TLS-terminating load balancer. */
  tls: { cert: string; key: string } | undefined;
  /** Fastify's pino logger options; `false` in tests. */
  logger: FastifyServerOptions['logger'];
  /** Level of the one line logged per request (`'off'`: none); below the logger's level it is not written. */
  requestLogLevel: RequestLogLevel;
  /**
   * When set, every /vod and /live request needs a valid access token (`?token=` or
   * `Authorization: Bearer`) signed with one of these keys (the tracker's keys: one token serves
   * both); otherwise 401. Unset: open.
   */
  tokenKeys: string[] | undefined;
  /**
   * Secret for the admin routes (`POST /stats/reset`, `DELETE /stats`), sent as
   * `Authorization: Bearer <secret>`. Unset: those routes do not exist. Readers of `/stats` take
   * differences between two readings instead (as the load tester does).
   */
  adminToken: string | undefined;
}

export const REQUEST_LOG_LEVELS = ['off', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type RequestLogLevel = (typeof REQUEST_LOG_LEVELS)[number];

/** A guessable admin secret would let anyone reset the egress counters offload is measured from. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** Live window bounds from the spec: shorter risks stalls, longer only adds latency. */
export const LIVE_WINDOW_MIN = 6;
export const LIVE_WINDOW_MAX = 10;

/**
 * The default live epoch: a fixed instant (so every origin agrees), and a recent one. The looped
 * sample wraps every 30 s, each wrap one discontinuity, and hls.js walks its per-discontinuity
 * array from index 0 on every playlist load: counted from the Unix epoch (~60 million) that walk
 * took ~0.6 s of a viewer's main thread per load, half a core per viewer.
 */
const DEFAULT_LIVE_EPOCH_MS = Date.parse('2026-01-01T00:00:00Z');

/** Milliseconds since the Unix epoch, or an ISO 8601 date. */
function epoch(raw: string): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isSafeInteger(value)) throw new InvalidValue('milliseconds since the Unix epoch or an ISO 8601 date');
  return value;
}

const webOrigins = list('origins like https://example.com', webOrigin);

function corsOrigins(raw: string): '*' | string[] {
  if (raw.trim() === '*' || raw.trim() === '') return '*';
  try {
    return webOrigins(raw);
  } catch {
    throw new InvalidValue("'*' or a comma list of origins like https://example.com");
  }
}

function adminToken(raw: string): string {
  if (raw.length < MIN_ADMIN_TOKEN_LENGTH) throw new InvalidValue(`a secret of at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
  return raw;
}

/** Every environment variable the origin reads, in the README's order. */
export const originSettings = {
  port: setting({ env: 'PORT', default: 8080, parse: integer(0, 65535), doc: 'listen port (`0` = any free port)' }),
  host: setting({ env: 'HOST', default: '0.0.0.0', parse: text, doc: 'listen address' }),
  mediaDir: setting({
    env: 'MEDIA_DIR',
    default: resolve(packageDir, 'media'),
    parse: path,
    docDefault: '`origin/media` (bundled sample)',
    doc: 'each subfolder `<name>/` with a `master.m3u8` is a stream; indexed (sizes, SHA-256) once at start',
  }),
  liveWindowSegments: setting({
    env: 'LIVE_WINDOW_SEGMENTS',
    default: 8,
    parse: integer(LIVE_WINDOW_MIN, LIVE_WINDOW_MAX),
    doc: `segments in a live media playlist (${LIVE_WINDOW_MIN}–${LIVE_WINDOW_MAX}); the SDK's default 12 s latency needs 8 or more`,
  }),
  liveEpochMs: setting({
    env: 'LIVE_EPOCH',
    default: DEFAULT_LIVE_EPOCH_MS,
    parse: epoch,
    docDefault: '`2026-01-01T00:00:00Z`',
    doc: 'when live sequence 0 started: ms since the epoch or an ISO 8601 date; the same value on every origin gives the same live edge',
  }),
  corsOrigins: setting({ env: 'CORS_ORIGINS', default: '*', parse: corsOrigins, doc: '`*` or a comma list of exact origins' }),
  demoPage: setting({
    env: 'DEMO_PAGE',
    default: resolve(playerSdkDir, 'dist/demo/index.html'),
    parse: path,
    docDefault: '`player-sdk/dist/demo/index.html`',
    doc: 'served at `/` (a placeholder page while not built)',
  }),
  sdkBundle: setting({
    env: 'SDK_BUNDLE',
    default: resolve(playerSdkDir, 'dist/swarmcast.min.js'),
    parse: path,
    docDefault: '`player-sdk/dist/swarmcast.min.js`',
    doc: 'served at `/sdk/swarmcast.min.js` (404 while not built)',
  }),
  logLevel: logLevelSetting,
  requestLogLevel: setting({
    env: 'REQUEST_LOG_LEVEL',
    default: 'debug',
    parse: oneOf(REQUEST_LOG_LEVELS),
    doc: 'level of the one line logged per request (`off`: none); at the default `debug` it is written only with `LOG_LEVEL=debug`',
  }),
  originAuth: setting({
    env: 'ORIGIN_AUTH',
    default: 'off',
    parse: oneOf(['off', 'required']),
    doc: '`required`: /vod and /live need a valid access token (`?token=` or `Authorization: Bearer`), signed with `TRACKER_TOKEN_KEYS`',
  }),
  tokenKeys: { ...tokenKeysSetting, doc: "the tracker's token keys (needed with `ORIGIN_AUTH=required`)" },
  adminToken: setting({
    env: 'ORIGIN_ADMIN_TOKEN',
    parse: adminToken,
    secret: true,
    doc: `secret (${MIN_ADMIN_TOKEN_LENGTH}+ characters) for \`POST /stats/reset\` and \`DELETE /stats\` (\`Authorization: Bearer\`); unset: those routes do not exist`,
  }),
  tlsCert: setting({ env: 'TLS_CERT', parse: readableFile, doc: 'PEM certificate (chain) file: with `TLS_KEY`, the origin serves `https://` itself' }),
  tlsKey: setting({ env: 'TLS_KEY', parse: readableFile, doc: 'PEM private key file of `TLS_CERT`; set both or neither' }),
};

type OriginSettings = ConfigOf<typeof originSettings>;

/** Every environment variable `loadConfig` reads. */
export const originEnv = Object.values(originSettings).map((entry) => entry.env);

const env = envNames(originSettings);

function originOptions(values: OriginSettings): OriginOptions {
  const { mediaDir, liveWindowSegments, liveEpochMs, corsOrigins, demoPage, sdkBundle, tlsCert, tlsKey, logLevel, requestLogLevel, originAuth, tokenKeys, adminToken } = values;
  return {
    mediaDir,
    liveWindowSegments,
    liveEpochMs,
    corsOrigins,
    demoPage,
    sdkBundle,
    now: Date.now,
    tls: tlsCert && tlsKey ? { cert: tlsCert, key: tlsKey } : undefined,
    logger: { level: logLevel },
    requestLogLevel,
    // ORIGIN_AUTH=required takes its keys from TRACKER_TOKEN_KEYS, so one secret signs for both.
    tokenKeys: originAuth === 'required' ? tokenKeys : undefined,
    adminToken,
  };
}

export const defaultOriginOptions: OriginOptions = originOptions(defaults(originSettings));

export interface MainConfig {
  host: string;
  port: number;
  origin: OriginOptions;
}

/** Reads the process environment; throws a `ConfigError` naming the first bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv): MainConfig {
  const values = loadSettings(originSettings, environment);
  // Checked set or not: the default folder can be missing too, in an image built without the sample.
  if (!isDirectory(values.mediaDir)) throw invalid(originSettings.mediaDir, values.mediaDir, 'an existing directory');
  if (!values.tlsCert !== !values.tlsKey) throw new ConfigError(env.tlsKey, `set both ${env.tlsCert} and ${env.tlsKey}, or neither`);
  if (values.originAuth === 'required' && values.tokenKeys.length === 0) {
    throw new ConfigError(env.tokenKeys, `${env.originAuth}=required needs ${env.tokenKeys} (the key tokens are signed with)`);
  }
  return { host: values.host, port: values.port, origin: originOptions(values) };
}

function isDirectory(folder: string): boolean {
  try {
    return statSync(folder).isDirectory();
  } catch {
    return false;
  }
}
