import { accessSync, constants } from 'node:fs';

/**
 * Tracker configuration: every option, its default and the environment variable that sets it,
 * in one place. `loadConfig` fails fast with the variable's name when a value is unusable.
 */
import { MIN_KEY_LENGTH } from './access-token.ts';

export interface TrackerConfig {
  /** HOST: interface to listen on. */
  host: string;
  /** PORT: TCP port for HTTP and WebSocket. */
  port: number;
  /** TLS_CERT: PEM certificate (chain) file; with TLS_KEY the tracker serves wss:// and https:// itself. */
  tlsCert: string | undefined;
  /** TLS_KEY: PEM private key file of TLS_CERT. */
  tlsKey: string | undefined;
  /** REDIS_URL: when set, swarms live in Redis (shared by every instance); else in memory. */
  redisUrl: string | undefined;
  /** REDIS_CLUSTER_NODES: `host:port,…` of a Redis Cluster to use instead of one REDIS_URL node. */
  redisClusterNodes: string[] | undefined;
  /** REDIS_KEY_PREFIX: prepended to every key and channel, so deployments can share one Redis. */
  redisKeyPrefix: string;
  /** REDIS_COMMAND_TIMEOUT_MS: a Redis command slower than this fails the message it serves. */
  redisCommandTimeoutMs: number;
  /** LOG_LEVEL: pino level. */
  logLevel: string;
  /** ANNOUNCE_INTERVAL: seconds between a client's announces; peers silent for 2× this expire. */
  announceIntervalSeconds: number;
  /** MAX_FRAME_BYTES: largest WebSocket frame accepted; larger closes with 1009. */
  maxFrameBytes: number;
  /** MAX_OFFERS: offers accepted in one announce (clients send 5; bittorrent-tracker allows 10). */
  maxOffers: number;
  /** MAX_MESSAGES_PER_SECOND: sustained messages per connection; a burst of 2× is allowed. */
  maxMessagesPerSecond: number;
  /** MAX_CONNECTIONS_PER_IP: concurrent WebSocket connections from one client address. */
  maxConnectionsPerIp: number;
  /** MAX_PEERS_PER_SWARM: peers in one swarm; more get a failure reason. */
  maxPeersPerSwarm: number;
  /** MAX_SWARMS_PER_CONNECTION: (info_hash, peer_id) pairs one socket may hold. */
  maxSwarmsPerConnection: number;
  /** MAX_SCRAPE_HASHES: info_hashes in one scrape request (and swarms listed by a bare scrape). */
  maxScrapeHashes: number;
  /** OFFER_TTL: seconds an offer waits for its answer; later answers are refused. */
  offerTtlSeconds: number;
  /** LOCALITY_HEADER: header the edge load balancer sets to the viewer's region. */
  localityHeader: string;
  /** TRUST_PROXY: take the client address from X-Forwarded-For (behind a load balancer). */
  trustProxy: boolean;
  /** TRACKER_AUTH: `required` refuses upgrades without a valid access token (`?token=`) with 401. */
  trackerAuth: 'off' | 'required';
  /** TRACKER_TOKEN_KEYS: HMAC keys accepted for tokens, comma-separated: current first, then the previous during a rotation. */
  tokenKeys: string[];
  /** ALLOWED_ORIGINS: exact `Origin` values allowed to open a WebSocket (comma-separated); unset: any. */
  allowedOrigins: string[] | undefined;
  /** ALLOW_EMPTY_ORIGIN: with ALLOWED_ORIGINS, also accept upgrades without an Origin header (non-browser clients). */
  allowEmptyOrigin: boolean;
  /** ALLOWED_INFO_HASHES: the only info_hashes peers may announce in (20 characters or 40 hex each, comma-separated); unset: any. */
  allowedInfoHashes: string[] | undefined;
  /** EGRESS_PRICE_PER_GB: what one GB of origin egress costs, for the dashboard's "saved" figure. */
  egressPricePerGb: number;
  /** TELEMETRY_POSTS_PER_MINUTE: telemetry POSTs accepted per client address per minute (a minute's worth as burst); more get 429. */
  telemetryPostsPerMinute: number;
  /** TELEMETRY_MAX_BODY_BYTES: largest telemetry POST body; larger gets 413. */
  telemetryMaxBodyBytes: number;
  /** COORDINATION: `off` answers `GET /coordination` with 404 (players then seed as p2p-media-loader does alone). */
  coordination: 'on' | 'off';
  /** COORDINATION_SLOT_MS: how long one seeding order lasts; the order, and so the seeders, change every slot. */
  coordinationSlotMs: number;
  /** COORDINATION_VIEWERS_PER_SEEDER: swarm members per origin fetcher: seeders = max(1, ceil(members / this)). */
  coordinationViewersPerSeeder: number;
  /** COORDINATION_REQUESTS_PER_MINUTE: `/coordination` requests accepted per client address per minute (a minute's worth as burst); more get 429. */
  coordinationRequestsPerMinute: number;
}

/**
 * Shortest COORDINATION_SLOT_MS: a slot has to outlast a poll's round trip and the order's ~2 s
 * refresh, or viewers act on the order of a slot that has already ended.
 */
export const MIN_COORDINATION_SLOT_MS = 1000;

export const defaultConfig: TrackerConfig = {
  host: '0.0.0.0',
  port: 8000,
  tlsCert: undefined,
  tlsKey: undefined,
  redisUrl: undefined,
  redisClusterNodes: undefined,
  redisKeyPrefix: 'swarmcast:',
  redisCommandTimeoutMs: 2000,
  logLevel: 'info',
  announceIntervalSeconds: 120,
  maxFrameBytes: 64 * 1024,
  maxOffers: 10,
  maxMessagesPerSecond: 20,
  maxConnectionsPerIp: 50,
  maxPeersPerSwarm: 10_000,
  maxSwarmsPerConnection: 64,
  maxScrapeHashes: 100,
  offerTtlSeconds: 60,
  localityHeader: 'x-swarmcast-region',
  trustProxy: false,
  trackerAuth: 'off',
  tokenKeys: [],
  allowedOrigins: undefined,
  allowEmptyOrigin: false,
  allowedInfoHashes: undefined,
  egressPricePerGb: 0.05,
  // A viewer beats every 15 s; 120 a minute leaves room for ~30 viewers behind one NAT address.
  telemetryPostsPerMinute: 120,
  telemetryMaxBodyBytes: 16 * 1024,
  coordination: 'on',
  // Seeders rotate every 20 s, so no one viewer's uplink carries the whole event.
  coordinationSlotMs: 20_000,
  coordinationViewersPerSeeder: 50,
  // A viewer polls each swarm it is in every ~5 s (12 a minute): 600 leaves room for ~50 such pollers behind one NAT address.
  coordinationRequestsPerMinute: 600,
};

/** Environment variable for each option, for `loadConfig` and the README's table. */
export const configEnv: Record<keyof TrackerConfig, string> = {
  host: 'HOST',
  port: 'PORT',
  tlsCert: 'TLS_CERT',
  tlsKey: 'TLS_KEY',
  redisUrl: 'REDIS_URL',
  redisClusterNodes: 'REDIS_CLUSTER_NODES',
  redisKeyPrefix: 'REDIS_KEY_PREFIX',
  redisCommandTimeoutMs: 'REDIS_COMMAND_TIMEOUT_MS',
  logLevel: 'LOG_LEVEL',
  announceIntervalSeconds: 'ANNOUNCE_INTERVAL',
  maxFrameBytes: 'MAX_FRAME_BYTES',
  maxOffers: 'MAX_OFFERS',
  maxMessagesPerSecond: 'MAX_MESSAGES_PER_SECOND',
  maxConnectionsPerIp: 'MAX_CONNECTIONS_PER_IP',
  maxPeersPerSwarm: 'MAX_PEERS_PER_SWARM',
  maxSwarmsPerConnection: 'MAX_SWARMS_PER_CONNECTION',
  maxScrapeHashes: 'MAX_SCRAPE_HASHES',
  offerTtlSeconds: 'OFFER_TTL',
  localityHeader: 'LOCALITY_HEADER',
  trustProxy: 'TRUST_PROXY',
  trackerAuth: 'TRACKER_AUTH',
  tokenKeys: 'TRACKER_TOKEN_KEYS',
  allowedOrigins: 'ALLOWED_ORIGINS',
  allowEmptyOrigin: 'ALLOW_EMPTY_ORIGIN',
  allowedInfoHashes: 'ALLOWED_INFO_HASHES',
  egressPricePerGb: 'EGRESS_PRICE_PER_GB',
  telemetryPostsPerMinute: 'TELEMETRY_POSTS_PER_MINUTE',
  telemetryMaxBodyBytes: 'TELEMETRY_MAX_BODY_BYTES',
  coordination: 'COORDINATION',
  coordinationSlotMs: 'COORDINATION_SLOT_MS',
  coordinationViewersPerSeeder: 'COORDINATION_VIEWERS_PER_SEEDER',
  coordinationRequestsPerMinute: 'COORDINATION_REQUESTS_PER_MINUTE',
};

export class ConfigError extends Error {}

function integerIn(name: string, raw: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(name: string, raw: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be ${values.join(' or ')}, got "${raw}"`);
  return raw as T;
}

function booleanFlag(name: string, raw: string): boolean {
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no|)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

const commaList = (raw: string) => raw.split(',').map((item) => item.trim()).filter(Boolean);

function tokenKeys(name: string, raw: string): string[] {
  const keys = commaList(raw);
  if (keys.length === 0 || keys.length > 2 || keys.some((key) => key.length < MIN_KEY_LENGTH)) {
    throw new ConfigError(`${name} must be one or two keys (current,previous) of at least ${MIN_KEY_LENGTH} characters each`);
  }
  return keys;
}

function origins(name: string, raw: string): string[] {
  const list = commaList(raw);
  const bad = list.find((origin) => !/^https?:\/\/[^/\s]+$/.test(origin));
  if (list.length === 0 || bad !== undefined) throw new ConfigError(`${name} must be a comma list of origins like https://example.com, got "${raw}"`);
  return list;
}

/** 40 hex digits are an info_hash in hex (bittorrent clients); 20 characters are one as on the wire (p2p-media-loader's base64). */
function infoHashes(name: string, raw: string): string[] {
  return commaList(raw).map((entry) => {
    if (/^[0-9a-f]{40}$/i.test(entry)) return Buffer.from(entry, 'hex').toString('latin1');
    if (entry.length === 20) return entry;
    throw new ConfigError(`${name} entries must be 20-character info_hashes or 40 hex digits, got "${entry}"`);
  });
}

function readableFile(name: string, raw: string): string {
  try {
    accessSync(raw, constants.R_OK);
  } catch {
    throw new ConfigError(`${name} must be a readable file, got "${raw}"`);
  }
  return raw;
}

function clusterNodes(name: string, raw: string): string[] {
  const nodes = raw.split(',').map((node) => node.trim()).filter(Boolean);
  const bad = nodes.find((node) => !/^[^\s:/]+:\d{1,5}$/.test(node));
  if (nodes.length === 0 || bad !== undefined) throw new ConfigError(`${name} must be host:port,host:port,…, got "${raw}"`);
  return nodes;
}

/** Reads the configuration from environment variables; unset ones keep their defaults. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TrackerConfig {
  const config: TrackerConfig = { ...defaultConfig };
  const read = (key: keyof TrackerConfig): string | undefined => {
    const raw = env[configEnv[key]];
    return raw === undefined || raw === '' ? undefined : raw;
  };
  for (const key of Object.keys(configEnv) as Array<keyof TrackerConfig>) {
    const raw = read(key);
    if (raw === undefined) continue;
    const name = configEnv[key];
    const current = defaultConfig[key];
    if (key === 'trustProxy' || key === 'allowEmptyOrigin') config[key] = booleanFlag(name, raw);
    else if (key === 'trackerAuth') config.trackerAuth = oneOf(name, raw, ['off', 'required']);
    else if (key === 'coordination') config.coordination = oneOf(name, raw, ['on', 'off']);
    else if (key === 'coordinationSlotMs') config.coordinationSlotMs = integerIn(name, raw, MIN_COORDINATION_SLOT_MS);
    else if (key === 'tokenKeys') config.tokenKeys = tokenKeys(name, raw);
    else if (key === 'allowedOrigins') config.allowedOrigins = origins(name, raw);
    else if (key === 'allowedInfoHashes') config.allowedInfoHashes = infoHashes(name, raw);
    else if (key === 'egressPricePerGb') {
      const price = Number(raw);
      if (!Number.isFinite(price) || price < 0) throw new ConfigError(`${name} must be a number ≥ 0 (price of one GB), got "${raw}"`);
      config.egressPricePerGb = price;
    } else if (key === 'port') config.port = integerIn(name, raw, 0, 65535);
    else if (key === 'redisUrl') {
      if (!/^rediss?:\/\//.test(raw)) throw new ConfigError(`${name} must be a redis:// or rediss:// URL, got "${raw}"`);
      config.redisUrl = raw;
    } else if (key === 'redisClusterNodes') config.redisClusterNodes = clusterNodes(name, raw);
    else if (key === 'redisKeyPrefix') {
      // Braces would move the per-swarm hash tag and break slot placement in a cluster.
      if (/[{}]/.test(raw)) throw new ConfigError(`${name} may not contain { or }, got "${raw}"`);
      config.redisKeyPrefix = raw;
    } else if (key === 'tlsCert' || key === 'tlsKey') config[key] = readableFile(name, raw);
    else if (typeof current === 'number') (config[key] as number) = integerIn(name, raw);
    else (config[key] as string) = raw;
  }
  if (!config.tlsCert !== !config.tlsKey) throw new ConfigError(`set both ${configEnv.tlsCert} and ${configEnv.tlsKey}, or neither`);
  if (config.redisUrl && config.redisClusterNodes) {
    throw new ConfigError(`set ${configEnv.redisUrl} (one Redis node) or ${configEnv.redisClusterNodes} (a cluster), not both`);
  }
  if (config.trackerAuth === 'required' && config.tokenKeys.length === 0) {
    throw new ConfigError(`${configEnv.trackerAuth}=required needs ${configEnv.tokenKeys} (the key tokens are signed with)`);
  }
  config.localityHeader = config.localityHeader.toLowerCase();
  return config;
}
