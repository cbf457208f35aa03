/** `buildTracker(options)`: the edge tracker as a Fastify instance, ready to listen. */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { defaultConfig, type TrackerConfig } from './config.ts';
import { createMetrics } from './metrics.ts';
import { SignalingHub } from './signaling-hub.ts';
import { MemoryStore } from './store/memory.ts';
import type { SwarmStore } from './store/store.ts';
import { websocketRoutes } from './websocket-routes.ts';

export interface TrackerOptions extends Partial<TrackerConfig> {
  /** Fastify logger: false in tests, true or pino options in production. */
  logger?: boolean | { level: string };
  /** A store to use instead of the one the config selects. */
  store?: SwarmStore;
}

async function createStore(config: TrackerConfig): Promise<SwarmStore> {
  if (config.redisUrl) throw new Error('REDIS_URL is set, but this build has no Redis store yet');
  return new MemoryStore();
}

export async function buildTracker(options: TrackerOptions = {}): Promise<FastifyInstance> {
  const { logger = false, store: givenStore, ...overrides } = options;
  const config: TrackerConfig = { ...defaultConfig, ...overrides };
  const app = Fastify({
    logger,
    trustProxy: config.trustProxy,
    // Every WebSocket starts as a request: per-request lines would drown the log at scale.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const store = givenStore ?? (await createStore(config));
  const metrics = createMetrics(() => store.counts());
  const hub = new SignalingHub(config, store, metrics, app.log);
  const startedAt = Date.now();

  await app.register(websocketRoutes, { config, hub });

  app.get('/health', async () => ({ status: 'ok', store: config.redisUrl ? 'redis' : 'memory' }));
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/stats', async () => {
    const counts = await store.counts();
    const value = async (name: string) => (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    const total = async (name: string) => (await value(name)).reduce((sum, v) => sum + v.value, 0);
    return {
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      connections: hub.connectionCount,
      swarms: counts.swarms,
      peers: counts.peers,
      announces: await total('swarmcast_tracker_announces_total'),
      scrapes: await total('swarmcast_tracker_scrapes_total'),
      offersRelayed: await total('swarmcast_tracker_offers_relayed_total'),
      answersRelayed: await total('swarmcast_tracker_answers_relayed_total'),
      rejections: Object.fromEntries((await value('swarmcast_tracker_rejections_total')).map((v) => [String(v.labels['reason']), v.value])),
    };
  });

  app.addHook('onClose', async () => {
    await hub.close();
    await store.close();
  });
  return app;
}
