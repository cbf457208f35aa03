import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyServerOptions } from 'fastify';
import { MIN_KEY_LENGTH } from '../../tracker/src/access-token.ts';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

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

export const defaultOriginOptions: OriginOptions = {
  mediaDir: resolve(packageDir, 'media'),
  liveWindowSegments: 8,
  liveEpochMs: 0,
  corsOrigins: '*',
  demoPage: resolve(packageDir, '../player-sdk/dist/demo/index.html'),
  sdkBundle: resolve(packageDir, '../player-sdk/dist/swarmcast.min.js'),
  now: Date.now,
  tls: undefined,
  logger: { level: 'info' },
  tokenKeys: undefined,
  adminToken: undefined,
};

/** A guessable admin secret would let anyone reset the egress counters offload is measured from. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** Live window bounds from the spec: shorter risks stalls, longer only adds latency. */
export const LIVE_WINDOW_MIN = 6;
export const LIVE_WINDOW_MAX = 10;

export interface MainConfig {
  host: string;
  port: number;
  origin: OriginOptions;
}

export class ConfigError extends Error {
  constructor(variable: string, value: string, expected: string) {
    super(`${variable}=${JSON.stringify(value)} is invalid: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

/** Every environment variable `loadConfig` reads, for the README's table and the deployment checks. */
export const originEnv = [
  'HOST',
  'PORT',
  'MEDIA_DIR',
  'LIVE_WINDOW_SEGMENTS',
  'LIVE_EPOCH',
  'CORS_ORIGINS',
  'DEMO_PAGE',
  'SDK_BUNDLE',
  'LOG_LEVEL',
  'TLS_CERT',
  'TLS_KEY',
  'ORIGIN_AUTH',
  'TRACKER_TOKEN_KEYS',
  'ORIGIN_ADMIN_TOKEN',
] as const;

/** Reads the process environment; throws a `ConfigError` naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): MainConfig {
  const mediaDir = env.MEDIA_DIR ? resolve(env.MEDIA_DIR) : defaultOriginOptions.mediaDir;
  if (!isDirectory(mediaDir)) throw new ConfigError('MEDIA_DIR', env.MEDIA_DIR ?? mediaDir, 'an existing directory');

  return {
    host: env.HOST || '0.0.0.0',
    port: integerVar(env, 'PORT', 8080, 0, 65535),
    origin: {
      ...defaultOriginOptions,
      mediaDir,
      liveWindowSegments: integerVar(env, 'LIVE_WINDOW_SEGMENTS', defaultOriginOptions.liveWindowSegments, LIVE_WINDOW_MIN, LIVE_WINDOW_MAX),
      liveEpochMs: epochVar(env),
      corsOrigins: corsVar(env),
      demoPage: env.DEMO_PAGE ? resolve(env.DEMO_PAGE) : defaultOriginOptions.demoPage,
      sdkBundle: env.SDK_BUNDLE ? resolve(env.SDK_BUNDLE) : defaultOriginOptions.sdkBundle,
      tls: tlsVars(env),
      logger: { level: logLevelVar(env) },
      tokenKeys: tokenKeysVar(env),
      adminToken: adminTokenVar(env),
    },
  };
}

function adminTokenVar(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.ORIGIN_ADMIN_TOKEN;
  if (raw === undefined || raw === '') return undefined;
  // The value itself is never echoed: it is a secret.
  if (raw.length < MIN_ADMIN_TOKEN_LENGTH) throw new ConfigError('ORIGIN_ADMIN_TOKEN', '<redacted>', `a secret of at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
  return raw;
}

function integerVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new ConfigError(name, raw, `an integer from ${min} to ${max}`);
  return value;
}

function epochVar(env: NodeJS.ProcessEnv): number {
  const raw = env.LIVE_EPOCH;
  if (raw === undefined || raw === '') return defaultOriginOptions.liveEpochMs;
  const value = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isSafeInteger(value)) throw new ConfigError('LIVE_EPOCH', raw, 'milliseconds since the Unix epoch or an ISO 8601 date');
  return value;
}

function corsVar(env: NodeJS.ProcessEnv): '*' | string[] {
  const raw = env.CORS_ORIGINS;
  if (raw === undefined || raw.trim() === '' || raw.trim() === '*') return '*';
  const origins = raw.split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new ConfigError('CORS_ORIGINS', raw, "'*' or a comma list of origins like https://example.com");
  }
  return origins;
}

/** ORIGIN_AUTH=required takes its keys from TRACKER_TOKEN_KEYS, so one secret signs for both. */
function tokenKeysVar(env: NodeJS.ProcessEnv): string[] | undefined {
  const mode = env.ORIGIN_AUTH;
  const rawKeys = env.TRACKER_TOKEN_KEYS ?? '';
  if (mode === undefined || mode === '' || mode === 'off') return undefined;
  if (mode !== 'required') throw new ConfigError('ORIGIN_AUTH', mode, 'off or required');
  const keys = rawKeys.split(',').map((key) => key.trim()).filter(Boolean);
  if (keys.length === 0 || keys.length > 2 || keys.some((key) => key.length < MIN_KEY_LENGTH)) {
    throw new ConfigError('TRACKER_TOKEN_KEYS', rawKeys, `one or two keys of at least ${MIN_KEY_LENGTH} characters (ORIGIN_AUTH=required)`);
  }
  return keys;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevelVar(env: NodeJS.ProcessEnv): string {
  const raw = env.LOG_LEVEL;
  if (raw === undefined || raw === '') return 'info';
  if (!LOG_LEVELS.includes(raw)) throw new ConfigError('LOG_LEVEL', raw, `one of ${LOG_LEVELS.join(', ')}`);
  return raw;
}

function tlsVars(env: NodeJS.ProcessEnv): OriginOptions['tls'] {
  const cert = env.TLS_CERT || undefined;
  const key = env.TLS_KEY || undefined;
  if (!cert !== !key) throw new ConfigError(cert ? 'TLS_KEY' : 'TLS_CERT', (cert ? key : cert) ?? '', 'set together with ' + (cert ? 'TLS_CERT' : 'TLS_KEY'));
  if (!cert || !key) return undefined;
  if (!isReadable(cert)) throw new ConfigError('TLS_CERT', cert, 'a readable PEM certificate file');
  if (!isReadable(key)) throw new ConfigError('TLS_KEY', key, 'a readable PEM private key file');
  return { cert, key };
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
