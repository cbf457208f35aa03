/**
 * Tracker configuration: every option, its default, the environment variable that sets it and its
 * README line, in one table. `loadConfig` fails fast with the variable's name when a value is unusable.
 */
import proxyAddr from '@fastify/proxy-addr';
import {
  ConfigError,
  decimal,
  defaults,
  envNames,
  flag,
  integer,
  InvalidValue,
  list,
  loadSettings,
  logLevelSetting,
  oneOf,
  readableFile,
  setting,
  text,
  tokenKeysSetting,
  url,
  webOrigin,
  type ConfigOf,
} from '@swarmcast/config';

// The one ConfigError of every service, re-exported for those who load this configuration.
export { ConfigError } from '@swarmcast/config';

/**
 * Shortest COORDINATION_SLOT_MS: a slot has to outlast a poll's round trip and the order's ~2 s
 * refresh, or viewers act on the order of a slot that has already ended.
 */
export const MIN_COORDINATION_SLOT_MS = 1000;

/** `true` is refused rather than guessed at: it used to mean the left-most X-Forwarded-For address, which the client writes. */
function trustedProxies(raw: string, env: string): false | number | string[] {
  if (/^(0|false|no)$/i.test(raw)) return false;
  if (/^(true|yes)$/i.test(raw)) {
    throw new InvalidValue(`a hop count or proxy addresses; true is no longer accepted (it let clients choose their address): set how many proxies are in front (${env}=1) or their addresses (${env}=10.0.0.0/8)`);
  }
  if (/^\d+$/.test(raw)) return integer()(raw);
  const addresses = list('addresses')(raw);
  try {
    proxyAddr.compile(addresses);
  } catch (error) {
    throw new InvalidValue(`a hop count or a comma list of addresses, CIDR ranges, loopback, linklocal or uniquelocal (${(error as Error).message})`);
  }
  return addresses;
}

/** 40 hex digits are an info_hash in hex (bittorrent clients); 20 characters are one as on the wire (p2p-media-loader's base64). */
function infoHash(entry: string): string | undefined {
  if (/^[0-9a-f]{40}$/i.test(entry)) return Buffer.from(entry, 'hex').toString('latin1');
  return entry.length === 20 ? entry : undefined;
}

/** Braces would move the per-swarm hash tag and break slot placement in a cluster. */
function keyPrefix(raw: string): string {
  if (/[{}]/.test(raw)) throw new InvalidValue('free of { and }');
  return raw;
}

const count = integer();

/** Every option, in the README's order. */
export const trackerSettings = {
  host: setting({ env: 'HOST', default: '0.0.0.0', parse: text, doc: 'interface to listen on' }),
  port: setting({ env: 'PORT', default: 8000, parse: integer(0, 65535), doc: 'HTTP and WebSocket port' }),
  tlsCert: setting({
    env: 'TLS_CERT',
    parse: readableFile,
    doc: 'PEM certificate (chain) file: with `TLS_KEY`, the tracker serves `wss://` and `https://` itself (no TLS-terminating load balancer needed)',
  }),
  tlsKey: setting({ env: 'TLS_KEY', parse: readableFile, doc: 'PEM private key file of `TLS_CERT`; set both or neither' }),
  redisUrl: setting({
    env: 'REDIS_URL',
    parse: url(['redis:', 'rediss:']),
    doc: '`redis://` / `rediss://` URL of one Redis node (6.2+): swarms live there, shared by every instance; unset: in-memory store',
  }),
  redisClusterNodes: setting({
    env: 'REDIS_CLUSTER_NODES',
    parse: list('host:port pairs', (node) => (/^[^\s:/]+:\d{1,5}$/.test(node) ? node : undefined)),
    doc: '`host:port,host:port,…` of a Redis Cluster (7.0+), instead of `REDIS_URL`',
  }),
  redisKeyPrefix: setting({
    env: 'REDIS_KEY_PREFIX',
    default: 'swarmcast:',
    parse: keyPrefix,
    doc: 'prepended to every key and channel, so deployments can share one Redis (no `{` or `}`)',
  }),
  redisCommandTimeoutMs: setting({
    env: 'REDIS_COMMAND_TIMEOUT_MS',
    default: 2000,
    parse: count,
    doc: 'a slower Redis command fails the message it serves ("tracker temporarily unavailable")',
  }),
  logLevel: logLevelSetting,
  announceIntervalSec: setting({ env: 'ANNOUNCE_INTERVAL', default: 120, parse: count, doc: "seconds between a client's announces; peers silent for twice this expire" }),
  maxFrameBytes: setting({ env: 'MAX_FRAME_BYTES', default: 64 * 1024, parse: count, doc: 'largest WebSocket frame; larger closes the socket with 1009' }),
  // Clients send 5; bittorrent-tracker allows 10.
  maxOffers: setting({ env: 'MAX_OFFERS', default: 10, parse: count, doc: 'offers accepted in one announce' }),
  maxMessagesPerSecond: setting({
    env: 'MAX_MESSAGES_PER_SECOND',
    default: 20,
    parse: count,
    doc: 'sustained messages per connection (bursts of twice that); more closes with 1008',
  }),
  maxConnectionsPerIp: setting({
    env: 'MAX_CONNECTIONS_PER_IP',
    default: 50,
    parse: count,
    doc: 'concurrent connections from one address; more are refused with HTTP 429',
  }),
  maxPeersPerSwarm: setting({
    env: 'MAX_PEERS_PER_SWARM',
    default: 10_000,
    parse: count,
    doc: 'peers in one swarm (the peers a viewer can meet); a stream with more viewers is split into more swarms of this size, never refused for its size',
  }),
  maxSwarmsPerConnection: setting({
    env: 'MAX_SWARMS_PER_CONNECTION',
    default: 64,
    parse: count,
    doc: 'swarms one socket may join (p2p-media-loader joins one per rendition)',
  }),
  maxScrapeHashes: setting({ env: 'MAX_SCRAPE_HASHES', default: 100, parse: count, doc: 'info_hashes in one scrape, and swarms listed by a bare scrape' }),
  offerTtlSec: setting({ env: 'OFFER_TTL', default: 60, parse: count, doc: 'seconds an offer waits for its answer' }),
  pingIntervalSec: setting({
    env: 'PING_INTERVAL',
    // A client whose network went away says nothing; until its socket is closed its peer_ids stay taken.
    default: 5,
    parse: count,
    doc: 'seconds between WebSocket pings; a socket that has not answered the previous ping is closed (a silent drop is noticed within twice this)',
  }),
  maxPendingOffersPerPeer: setting({
    env: 'MAX_PENDING_OFFERS_PER_PEER',
    // An honest client offers a peer at most once per announce, and each offer is answered or
    // expires within OFFER_TTL: at most OFFER_TTL / ANNOUNCE_INTERVAL + 1 wait (1 at the
    // defaults); 16 covers intervals down to 4 s. At 16 KiB an offer, 16 are 256 KiB per sender.
    default: 16,
    parse: count,
    doc: 'unanswered offers one peer may have waiting for another (an honest client: one per announce, at most `OFFER_TTL` / `ANNOUNCE_INTERVAL` + 1); more are dropped and close the sender with 1008',
  }),
  localityHeader: setting({
    env: 'LOCALITY_HEADER',
    default: 'x-swarmcast-region',
    parse: (raw) => raw.toLowerCase(),
    doc: "header the edge load balancer sets to the viewer's region; believed only when the socket's peer is a `TRUST_PROXY` proxy",
  }),
  trustProxy: setting({
    env: 'TRUST_PROXY',
    default: false,
    parse: trustedProxies,
    doc:
      'the proxies in front, whose `X-Forwarded-For` entries are believed: how many (`1`: the load balancer) or their addresses and CIDR ranges ' +
      '(comma-separated; also `loopback`, `linklocal`, `uniquelocal`); the client is the right-most address no trusted proxy wrote. ' +
      '`true` is refused at start (it meant the left-most address, which the client writes)',
  }),
  maxQueuedBytes: setting({
    env: 'MAX_QUEUED_BYTES',
    // 64 clients at the per-connection cap (4 MiB); healthy clients keep next to nothing waiting.
    default: 256 * 1024 * 1024,
    parse: count,
    doc: "bytes waiting to be written to all of this instance's sockets (clients that stop reading); over it, the client with the most waiting is cut off",
  }),
  trackerAuth: setting({
    env: 'TRACKER_AUTH',
    default: 'off',
    parse: oneOf(['off', 'required']),
    doc: '`required`: WebSocket upgrades need a valid `?token=` (else 401); announces outside the token get a failure reason',
  }),
  tokenKeys: tokenKeysSetting,
  tokenChecksPerMinute: setting({
    env: 'TOKEN_CHECKS_PER_MINUTE',
    // Each viewer brings its own token about once per connection; 120 leaves room for a busy NAT address and its reconnects.
    default: 120,
    parse: count,
    doc: "access tokens not yet cached one client address may present per minute (upgrades and `/coordination`; a minute's worth as burst); more get 429",
  }),
  allowedOrigins: setting({
    env: 'ALLOWED_ORIGINS',
    parse: list('origins like https://example.com', webOrigin),
    doc: 'exact `Origin` values allowed to open a WebSocket (comma-separated; others get 403); unset: any',
  }),
  allowEmptyOrigin: setting({
    env: 'ALLOW_EMPTY_ORIGIN',
    default: false,
    parse: flag,
    doc: 'with `ALLOWED_ORIGINS`, also accept upgrades without an `Origin` header (non-browser clients)',
  }),
  egressPricePerGb: setting({
    env: 'EGRESS_PRICE_PER_GB',
    default: 0.05,
    parse: decimal(0),
    doc: 'price of one GB of origin egress, for the dashboard\'s "saved" figure',
  }),
  telemetryPostsPerMinute: setting({
    env: 'TELEMETRY_POSTS_PER_MINUTE',
    // A viewer beats every 15 s; 120 a minute leaves room for ~30 viewers behind one NAT address.
    default: 120,
    parse: count,
    doc: "telemetry POSTs accepted per client address per minute (a minute's worth as burst); more get 429",
  }),
  telemetryMaxBodyBytes: setting({ env: 'TELEMETRY_MAX_BODY_BYTES', default: 16 * 1024, parse: count, doc: 'largest telemetry POST body; larger gets 413' }),
  telemetryTopBitrate: setting({
    env: 'TELEMETRY_TOP_BITRATE',
    // 2160p H.264 tops out near 25 Mb/s; a lower ladder can set its own top to tighten the bound.
    default: 25_000_000,
    // Up to 100 Gb/s: far above any ladder, and low enough that one beat's bytes stay exact.
    parse: integer(1, 100e9),
    doc: 'bits/s of the highest rendition of any stream: a session adds at most the segment bytes its watch time (plus up to 180 s of buffer), both no longer than the wall time since its first beat, allow at twice this',
  }),
  telemetryMaxStreams: setting({
    env: 'TELEMETRY_MAX_STREAMS',
    default: 1000,
    parse: count,
    doc: 'streams the telemetry store holds; a new one beyond this evicts the one with the least verified watch time',
  }),
  telemetryMaxSessionsPerStream: setting({
    env: 'TELEMETRY_MAX_SESSIONS_PER_STREAM',
    default: 50_000,
    parse: count,
    doc: 'viewer sessions held per stream; a new one beyond this evicts the one silent longest',
  }),
  telemetryMaxSessionsPerAddress: setting({
    env: 'TELEMETRY_MAX_SESSIONS_PER_ADDRESS',
    // A household's or an office's screens on one stream. Beyond it, viewers behind one NAT address
    // go uncounted rather than one address posing as a crowd of viewers with made-up figures.
    default: 10,
    parse: count,
    doc: 'viewer sessions one client address (IPv6: /64) holds per stream, until 75 s after their last beat, ended or not; a new one beyond this is refused (429)',
  }),
  telemetryStreams: setting({
    env: 'TELEMETRY_STREAMS',
    parse: list('stream names'),
    doc: 'the only stream names beats are accepted for (comma-separated; an entry ending in `*` is a prefix; others get 403); unset: any',
  }),
  allowedInfoHashes: setting({
    env: 'ALLOWED_INFO_HASHES',
    parse: list('20-character info_hashes or 40 hex digits', infoHash),
    doc: 'the only info_hashes peers may announce in (20 characters or 40 hex digits each, comma-separated); unset: any',
  }),
  coordination: setting({
    env: 'COORDINATION',
    default: 'on',
    parse: oneOf(['on', 'off']),
    doc: '`off`: `GET /coordination` answers 404 (players seed as p2p-media-loader does on its own)',
  }),
  coordinationSlotMs: setting({
    env: 'COORDINATION_SLOT_MS',
    // Seeders rotate every 20 s, so no one viewer's uplink carries the whole event.
    default: 20_000,
    parse: integer(MIN_COORDINATION_SLOT_MS),
    doc: `how long one seeding order lasts (at least ${MIN_COORDINATION_SLOT_MS}); seeders rotate every slot so no viewer's uplink carries the event alone`,
  }),
  coordinationViewersPerSeeder: setting({
    env: 'COORDINATION_VIEWERS_PER_SEEDER',
    default: 50,
    parse: count,
    doc: 'swarm members per origin fetcher while no member has reported its segments and budget: `seeders` = max(1, ceil(members / this))',
  }),
  coordinationRequestsPerMinute: setting({
    env: 'COORDINATION_REQUESTS_PER_MINUTE',
    // A viewer polls each swarm it is in every ~5 s (12 a minute): 600 leaves room for ~50 such pollers behind one NAT address.
    default: 600,
    parse: count,
    doc: "`/coordination` requests accepted per client address per minute (a minute's worth as burst); more get 429",
  }),
};

export type TrackerConfig = ConfigOf<typeof trackerSettings>;

export const defaultConfig: TrackerConfig = defaults(trackerSettings);

/** Environment variable for each option. */
export const configEnv = envNames(trackerSettings);

/** Reads the configuration from environment variables; unset ones keep their defaults. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TrackerConfig {
  const config = loadSettings(trackerSettings, env);
  if (!config.tlsCert !== !config.tlsKey) throw new ConfigError(configEnv.tlsKey, `set both ${configEnv.tlsCert} and ${configEnv.tlsKey}, or neither`);
  if (config.redisUrl && config.redisClusterNodes) {
    throw new ConfigError(configEnv.redisClusterNodes, `set ${configEnv.redisUrl} (one Redis node) or ${configEnv.redisClusterNodes} (a cluster), not both`);
  }
  if (config.trackerAuth === 'required' && config.tokenKeys.length === 0) {
    throw new ConfigError(configEnv.tokenKeys, `${configEnv.trackerAuth}=required needs ${configEnv.tokenKeys} (the key tokens are signed with)`);
  }
  return config;
}
