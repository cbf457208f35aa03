/**
 * The tracker process's one Redis client, for the swarm store and the telemetry store alike: one
 * node (REDIS_URL) or a cluster (REDIS_CLUSTER_NODES). The only other connection is the swarm
 * store's pub/sub subscriber on a single node, since a subscribed connection runs no other command.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** Reconnection backs off to this and keeps trying: the tracker outlives a Redis restart. */
const RECONNECT_MAX_MS = 1000;

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** One node: redis://… or rediss://… */
  url?: string | undefined;
  /** A cluster instead: host:port of some of its nodes. */
  clusterNodes?: string[] | undefined;
  /** A command slower than this fails, rather than holding a peer's messages (or a beat) behind it. */
  commandTimeoutMs: number;
}

/** A client not yet connected: see `connectRedis`. */
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const retryStrategy = (attempt: number) => Math.min(attempt * 100, RECONNECT_MAX_MS);
  const nodeOptions: RedisOptions = {
    lazyConnect: true,
    // While Redis is away a command fails at once, so the hub answers "temporarily unavailable"
    // (and a beat gets a 503) instead of holding every message of the connection behind a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
  };
  if (options.clusterNodes) {
    const nodes = options.clusterNodes.map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    });
    return new Cluster(nodes, {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      // One subscriber per shard, so SSUBSCRIBE lands on the node that owns the channel's slot.
      shardedSubscribers: true,
      clusterRetryStrategy: retryStrategy,
      redisOptions: nodeOptions,
    });
  }
  return new Redis(options.url!, { ...nodeOptions, retryStrategy, enableAutoPipelining: true });
}

/** Connects, or throws why not. */
export async function connectRedis(client: RedisClient): Promise<void> {
  // ioredis rejects with a bare "Connection is closed."; the error event before it says why.
  let lastError: string | undefined;
  const remember = (error: Error) => {
    lastError = error.message;
  };
  client.on('error', remember).on('node error', remember);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    const cause = lastError && lastError !== (error as Error).message ? ` (${lastError})` : '';
    throw new Error((error as Error).message + cause);
  } finally {
    client.off('error', remember).off('node error', remember);
  }
}

/**
 * Reports every command's time from sent to settled (reply, error or timeout). Every command,
 * pipelined or not, goes through its node connection's `sendCommand`; on a cluster, through each
 * node's, including nodes found later.
 */
export function timeCommands(client: RedisClient, observe: (seconds: number) => void): void {
  const wrap = (node: Redis) => {
    const send = node.sendCommand.bind(node);
    node.sendCommand = (command, stream) => {
      const started = process.hrtime.bigint();
      const done = () => observe(Number(process.hrtime.bigint() - started) / 1e9);
      // Both branches: a rejection handled here stays the caller's to handle on its own promise.
      command.promise?.then(done, done);
      return send(command, stream);
    };
  };
  if (client instanceof Cluster) {
    for (const node of client.nodes()) wrap(node);
    client.on('+node', wrap);
  } else wrap(client);
}
