/**
 * Where the tracker keeps its state, decided here for the swarms and the audience telemetry alike:
 * in memory, or in Redis when REDIS_URL or REDIS_CLUSTER_NODES is set, so that every instance
 * shares both. A process opens one Redis client for the two stores (store/redis-client.ts).
 */
import type { FastifyBaseLogger } from 'fastify';
import { configEnv, type TrackerConfig } from './config.ts';
import { MemoryStore } from './store/memory.ts';
import { connectRedis, createRedisClient } from './store/redis-client.ts';
import { RedisStore } from './store/redis.ts';
import type { SwarmStore } from './store/store.ts';
import { MemoryTelemetryStore } from './telemetry/store-memory.ts';
import { RedisTelemetryStore } from './telemetry/store-redis.ts';
import type { TelemetryStore, TelemetryStoreLimits } from './telemetry/store.ts';

/** The configured store could not be reached at start; the message names the variable to check. */
export class StoreUnavailableError extends Error {}

export interface Storage {
  swarms: SwarmStore;
  /** The audience telemetry store, kept where the swarms are. */
  telemetry(limits: TelemetryStoreLimits): TelemetryStore;
  /** Closes the swarm store, then the Redis client both stores share. */
  close(): Promise<void>;
}

/** The URL without its password, fit for a log line. */
function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Which variable points at which Redis, for error messages. */
export function redisLocation(config: TrackerConfig): string {
  if (config.redisClusterNodes) return `${configEnv.redisClusterNodes}=${config.redisClusterNodes.join(',')}`;
  return config.redisUrl ? `${configEnv.redisUrl}=${redactedUrl(config.redisUrl)}` : 'the store given to buildTracker';
}

/** The one decision of where state lives, for openStorage and for main.ts's listening line. */
export function storeKind(config: TrackerConfig): 'memory' | 'redis' {
  return config.redisUrl || config.redisClusterNodes ? 'redis' : 'memory';
}

/** Opens the configured storage, or throws `StoreUnavailableError`; `swarms`, when given, replaces the configured swarm store. */
export async function openStorage(config: TrackerConfig, log: FastifyBaseLogger, swarms?: SwarmStore): Promise<Storage> {
  if (storeKind(config) === 'memory') {
    const store = swarms ?? new MemoryStore();
    return { swarms: store, telemetry: (limits) => new MemoryTelemetryStore(limits), close: () => store.close() };
  }
  const client = createRedisClient({ url: config.redisUrl, clusterNodes: config.redisClusterNodes, commandTimeoutMs: config.redisCommandTimeoutMs });
  let store: SwarmStore;
  try {
    await connectRedis(client);
    store = swarms ?? (await RedisStore.connect(client, { keyPrefix: config.redisKeyPrefix, log }));
  } catch (error) {
    client.disconnect();
    throw new StoreUnavailableError(`cannot reach Redis at ${redisLocation(config)}: ${(error as Error).message}`);
  }
  return {
    swarms: store,
    telemetry: (limits) => new RedisTelemetryStore(client, { keyPrefix: config.redisKeyPrefix, limits }),
    close: async () => {
      await store.close();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
