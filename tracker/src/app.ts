/** `buildTracker(options)`: the edge tracker as a Fastify instance, ready to listen. */
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import { logSerializers, notFoundWithoutTokens } from '@swarmcast/protocol/log-redaction';
import type { TrackerStats } from '@swarmcast/protocol/stats';
import { CellDirectory } from './cells/cell-directory.ts';
import { proxyTrust } from './client-address.ts';
import { defaultConfig, type TrackerConfig } from './config.ts';
import { coordinationRoutes } from './coordination/routes.ts';
import { createMetrics } from './metrics.ts';
import { SignalingHub } from './signaling-hub.ts';
import { RedisStore } from './store/redis.ts';
import { audiencePlugin } from './telemetry/plugin.ts';
import type { SwarmStore } from './store/store.ts';
import { openStorage, redisLocation, StoreUnavailableError } from './storage.ts';
import { SwarmAccess } from './swarm-access.ts';
import { websocketRoutes } from './websocket-routes.ts';

export interface TrackerOptions extends Partial<TrackerConfig> {
  /** Fastify logger: false in tests, true or pino options in production (tokens in URLs are always redacted). */
  logger?: boolean | { level: string; stream?: { write(line: string): void } };
  /** A store to use instead of the one the config selects. */
  store?: SwarmStore;
}

export async function buildTracker(options: TrackerOptions = {}): Promise<FastifyInstance> {
  const { logger = false, store: givenStore, ...overrides } = options;
  const config: TrackerConfig = { ...defaultConfig, ...overrides };
  // One trust test for request.ip and the WebSocket upgrade, so both count the same client.
  const trust = proxyTrust(config.trustProxy);
  const app = Fastify({
    logger: logger === false ? false : { ...(logger === true ? {} : logger), serializers: logSerializers },
    trustProxy: trust,
    // TLS_CERT + TLS_KEY: wss:// and https:// without a TLS-terminating load balancer in front.
    https: config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : null,
    // Every WebSocket starts as a request: per-request lines would drown the log at scale.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setNotFoundHandler(notFoundWithoutTokens);
  const storage = await openStorage(config, app.log, givenStore);
  const store = storage.swarms;
  const redisStore = store instanceof RedisStore ? store : undefined;
  const metrics = createMetrics({ counts: () => store.counts(), redisHealth: redisStore && (() => redisStore.health()) });
  redisStore?.timeCommands((seconds) => metrics.redisCommandSeconds.observe(seconds));
  const access = new SwarmAccess(config);
  // Streams split into cells of at most MAX_PEERS_PER_SWARM members, kept as long as their members.
  const cells = new CellDirectory(store, config.maxPeersPerSwarm, config.announceIntervalSec * 2000);
  const hub = new SignalingHub(config, store, metrics, app.log, access, cells);
  // Frames for this hub's peers arrive on a channel named after the hub, so it exists only now.
  if (store instanceof RedisStore) {
    await store.attach(hub.instanceId).catch(async (error: Error) => {
      await hub.close();
      await storage.close();
      throw new StoreUnavailableError(`cannot subscribe on Redis at ${redisLocation(config)}: ${error.message}`);
    });
  }
  const startedAt = Date.now();

  await app.register(websocketRoutes, { config, hub, access, trust });
  // Where each viewer stands in its swarm's seeding order: polled by the player SDK only.
  await app.register(coordinationRoutes, { config, store, cells, access, registry: metrics.registry });
  // Telemetry beats, the audience dashboard and the swarmcast_audience_* metrics.
  await app.register(audiencePlugin, { config, registry: metrics.registry, openStore: storage.telemetry });

  /** The store's health: where Redis holds the swarms, whether it answers now. */
  const storeHealth = async (): Promise<{ status: 'ok' | 'unavailable'; store: 'memory' | 'redis'; instances?: number; error?: string }> => {
    if (!redisStore) return { status: 'ok', store: 'memory' };
    try {
      return { status: 'ok', store: 'redis', instances: (await redisStore.health()).instances };
    } catch (error) {
      // The details (host names, addresses, Redis's own words) are for the operator's log, not for anyone who asks.
      app.log.error({ err: error }, 'health check: Redis unavailable');
      return { status: 'unavailable', store: 'redis', error: 'the Redis store does not answer (details in the tracker log)' };
    }
  };
  const answerHealth = async (reply: FastifyReply) => {
    const health = await storeHealth();
    reply.header('cache-control', 'no-store').code(health.status === 'ok' ? 200 : 503);
    return health;
  };
  // /health (kept for existing probes) and /health/ready say whether this instance can serve
  // swarms now; /health/live only that the process answers, so a Redis outage takes instances
  // out of the load balancer without an orchestrator restarting every one of them.
  app.get('/health', async (_request, reply) => answerHealth(reply));
  app.get('/health/ready', async (_request, reply) => answerHealth(reply));
  app.get('/health/live', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/stats', async (): Promise<TrackerStats> => {
    const counts = await store.counts();
    const value = async (name: string) => (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    const total = async (name: string) => (await value(name)).reduce((sum, v) => sum + v.value, 0);
    return {
      uptimeSec: Math.round((Date.now() - startedAt) / 1000),
      connections: hub.connectionCount,
      queuedBytes: hub.queuedBytes,
      swarms: counts.swarms,
      peers: counts.peers,
      announces: await total('swarmcast_tracker_announces_total'),
      scrapes: await total('swarmcast_tracker_scrapes_total'),
      offersRelayed: await total('swarmcast_tracker_offers_relayed_total'),
      answersRelayed: await total('swarmcast_tracker_answers_relayed_total'),
      // The reasons that occurred: /metrics pre-initialises every reason at 0, /stats keeps its meaning.
      rejections: Object.fromEntries((await value('swarmcast_tracker_rejections_total')).filter((v) => v.value > 0).map((v) => [String(v.labels['reason']), v.value])),
    };
  });

  // Upgraded sockets keep the HTTP server from closing: say goodbye (1001) before it waits on them.
  app.addHook('preClose', async () => {
    await hub.close();
  });
  app.addHook('onClose', async () => {
    await storage.close();
  });
  return app;
}
