import { accessSync, constants } from 'node:fs';
import proxyAddr from '@fastify/proxy-addr';

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
  /** LOCALITY_HEADER: header the edge load balancer sets to the viewer's region; believed only from a TRUST_PROXY proxy. */
  localityHeader: string;
  /**
   * TRUST_PROXY: the proxies in front, whose X-Forwarded-For entries are believed: how many (`1`: the
   * socket's peer) or their addresses and CIDR ranges (comma-separated; also `loopback`, `uniquelocal`).
   * The client is the right-most address no trusted proxy wrote. Unset: the socket's peer is the client.
   */
  trustProxy: false | number | string[];
  /** MAX_QUEUED_BYTES: bytes waiting to be written to all of this instance's sockets; over it, the client with the most waiting is cut off. */
  maxQueuedBytes: number;
  /** TRACKER_AUTH: `required` refuses upgrades without a valid access token (`?token=`) with 401. */
  trackerAuth: 'off' | 'required';
  /** TRACKER_TOKEN_KEYS: HMAC keys accepted for tokens, comma-separated: current first, then the previous during a rotation. */
  tokenKeys: string[];
  /** TOKEN_CHECKS_PER_MINUTE: access tokens not yet cached that one client address may present per minute (a minute's worth as burst); more get 429. */
  tokenChecksPerMinute: number;
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
  /** TELEMETRY_TOP_BITRATE: bits/s of the highest rendition of any stream: a beat adds at most the bytes its watch time allows at twice this. */
  telemetryTopBitrate: number;
  /** TELEMETRY_MAX_STREAMS: streams the telemetry store holds; a new one beyond this evicts the one with the least verified watch time. */
  telemetryMaxStreams: number;
  /** TELEMETRY_MAX_SESSIONS_PER_STREAM: viewer sessions held per stream; a new one beyond this evicts the one silent longest. */
  telemetryMaxSessionsPerStream: number;
  /** TELEMETRY_STREAMS: the only stream names beats are accepted for (comma-separated; an entry ending in `*` is a prefix); unset: any. */
  telemetryStreams: string[] | undefined;
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
  // 64 clients at the per-connection cap (4 MiB); healthy clients keep next to nothing waiting.
  maxQueuedBytes: 256 * 1024 * 1024,
  trackerAuth: 'off',
  tokenKeys: [],
  // Each viewer brings its own token about once per connection; 120 leaves room for a busy NAT address and its reconnects.
  tokenChecksPerMinute: 120,
  allowedOrigins: undefined,
  allowEmptyOrigin: false,
  allowedInfoHashes: undefined,
  egressPricePerGb: 0.05,
  // A viewer beats every 15 s; 120 a minute leaves room for ~30 viewers behind one NAT address.
  telemetryPostsPerMinute: 120,
  telemetryMaxBodyBytes: 16 * 1024,
  // 2160p H.264 tops out near 25 Mb/s; a lower ladder can set its own top to tighten the bound.
  telemetryTopBitrate: 25_000_000,
  telemetryMaxStreams: 1000,
  telemetryMaxSessionsPerStream: 50_000,
  telemetryStreams: undefined,
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
  maxQueuedBytes: 'MAX_QUEUED_BYTES',
  trackerAuth: 'TRACKER_AUTH',
  tokenKeys: 'TRACKER_TOKEN_KEYS',
  tokenChecksPerMinute: 'TOKEN_CHECKS_PER_MINUTE',
  allowedOrigins: 'ALLOWED_ORIGINS',
  allowEmptyOrigin: 'ALLOW_EMPTY_ORIGIN',
  allowedInfoHashes: 'ALLOWED_INFO_HASHES',
  egressPricePerGb: 'EGRESS_PRICE_PER_GB',
  telemetryPostsPerMinute: 'TELEMETRY_POSTS_PER_MINUTE',
  telemetryMaxBodyBytes: 'TELEMETRY_MAX_BODY_BYTES',
  telemetryTopBitrate: 'TELEMETRY_TOP_BITRATE',
  telemetryMaxStreams: 'TELEMETRY_MAX_STREAMS',
  telemetryMaxSessionsPerStream: 'TELEMETRY_MAX_SESSIONS_PER_STREAM',
  telemetryStreams: 'TELEMETRY_STREAMS',
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

/** `true` is refused rather than guessed at: it used to mean the left-most X-Forwarded-For address, which the client writes. */
function trustedProxies(name: string, raw: string): TrackerConfig['trustProxy'] {
  if (/^(0|false|no)$/i.test(raw)) return false;
  if (/^(true|yes)$/i.test(raw)) {
    throw new ConfigError(`${name}=${raw} is no longer accepted (it let clients choose their address): set how many proxies are in front (${name}=1) or their addresses (${name}=10.0.0.0/8)`);
  }
  if (/^\d+$/.test(raw)) return integerIn(name, raw);
  const list = commaList(raw);
  try {
    proxyAddr.compile(list);
  } catch (error) {
    throw new ConfigError(`${name} must be a hop count or a comma list of addresses, CIDR ranges, loopback, linklocal or uniquelocal: ${(error as Error).message}`);
  }
  return list;
}

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
    if (key === 'allowEmptyOrigin') config[key] = booleanFlag(name, raw);
    else if (key === 'trustProxy') config.trustProxy = trustedProxies(name, raw);
    else if (key === 'trackerAuth') config.trackerAuth = oneOf(name, raw, ['off', 'required']);
    else if (key === 'coordination') config.coordination = oneOf(name, raw, ['on', 'off']);
    else if (key === 'coordinationSlotMs') config.coordinationSlotMs = integerIn(name, raw, MIN_COORDINATION_SLOT_MS);
    else if (key === 'tokenKeys') config.tokenKeys = tokenKeys(name, raw);
    else if (key === 'allowedOrigins') config.allowedOrigins = origins(name, raw);
    else if (key === 'allowedInfoHashes') config.allowedInfoHashes = infoHashes(name, raw);
    else if (key === 'telemetryStreams') config.telemetryStreams = commaList(raw);
    // Up to 100 Gb/s: far above any ladder, and low enough that one beat's bytes stay exact.
    else if (key === 'telemetryTopBitrate') config.telemetryTopBitrate = integerIn(name, raw, 1, 100e9);
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
