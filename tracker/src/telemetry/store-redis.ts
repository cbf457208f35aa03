/**
 * Audience aggregates in Redis (one node or a cluster), shared by every tracker instance: a beat
 * is applied by one Lua script, atomically, whichever instance receives it, so two instances
 * aggregate into one view and a session's beats may arrive at any of them.
 *
 * Per stream, every key carries the hash tag `{<stream as hex>}`, so a stream lives in one slot:
 *   tm:{s}:b:<bucket start ms>  hash: the bucket's integer sums (`aggregate.ts`), expires after the window
 *   tm:{s}:s:<session id>       hash: the session's last applied counters, expires after the window
 *   tm:{s}:active               sorted set session → last beat (ms): viewers = members newer than ACTIVE_MS
 *   tm:{s}:latency              sorted set session → live latency ms (active sessions only): exact percentiles by rank
 *   tm:{s}:startup              sorted set session → startup ms; tm:{s}:startup-at: session → when recorded
 * Global, one slot: `tm:streams`, stream hex → last beat, what the dashboard lists.
 * The scripts build bucket keys from the stream's base key (same hash tag, same slot), like the
 * swarm store builds its locality keys.
 */
import { Buffer } from 'node:buffer';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Beat } from './beat-schema.ts';
import { ACTIVE_MS, BUCKET_MS, MAX_WATCH_DELTA_MS, RETENTION_MS, renditionField, type Percentiles, type StreamState } from './aggregate.ts';
import type { RecordOutcome, TelemetryStore } from './store.ts';

/** The same rules as `MemoryTelemetryStore.record`, in Lua. Keys: session, active, latency, startup, startup-at. */
const recordScript = `
local session, active, latency, startup, startupAt = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local base = ARGV[1]
local now, bucketMs, retention, activeMs, maxWatch = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local sid, seq = ARGV[7], tonumber(ARGV[8])
local http, p2p, up, peers = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local stalls, stallMs, watchMs, errors = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16])
local startupMs, latencyMs, rendition, ended = ARGV[17], ARGV[18], ARGV[19], ARGV[20] == '1'
local int = function(n) return string.format('%d', n) end

local prev = redis.call('HMGET', session, 'seq', 'http', 'p2p', 'up', 'stalls', 'stallMs', 'watchMs', 'errors', 'startup')
if prev[1] and seq <= tonumber(prev[1]) then return 'stale' end
local function delta(i, value)
  local d = value - (tonumber(prev[i]) or 0)
  if d < 0 then return 0 end
  return d
end
local watch = math.min(delta(7, watchMs), maxWatch)
local stall = math.min(delta(6, stallMs), watch)

local current = now - (now % bucketMs)
local touched = {}
local function add(start, field, value)
  if value == 0 then return end
  local key = base .. 'b:' .. int(start)
  redis.call('HINCRBY', key, field, int(value))
  touched[key] = true
end
add(current, 'beats', 1)
add(current, 'http', delta(2, http))
add(current, 'p2p', delta(3, p2p))
add(current, 'up', delta(4, up))
add(current, 'stall', stall)
add(current, 'stalls', delta(5, stalls))
add(current, 'errors', delta(8, errors))
add(current, 'peers', peers)
if latencyMs ~= '' then
  add(current, 'lat', tonumber(latencyMs))
  add(current, 'latn', 1)
end
if watch > 0 then
  local from = now - watch
  local start = from - (from % bucketMs)
  while start <= current do
    local piece = math.min(now, start + bucketMs) - math.max(from, start)
    if piece > 0 then
      add(start, 'watch', piece)
      add(start, rendition, piece)
    end
    start = start + bucketMs
  end
end
for key in pairs(touched) do redis.call('PEXPIRE', key, retention + bucketMs) end

local startupRecorded = prev[9] == '1'
if startupMs ~= '' and not startupRecorded then
  redis.call('ZADD', startup, startupMs, sid)
  redis.call('ZADD', startupAt, int(now), sid)
  startupRecorded = true
end
redis.call('HSET', session, 'seq', int(seq), 'http', int(http), 'p2p', int(p2p), 'up', int(up), 'stalls', int(stalls),
  'stallMs', int(stallMs), 'watchMs', int(watchMs), 'errors', int(errors), 'startup', startupRecorded and '1' or '0')
redis.call('PEXPIRE', session, retention)
if ended then
  redis.call('ZREM', active, sid)
  redis.call('ZREM', latency, sid)
else
  redis.call('ZADD', active, int(now), sid)
  if latencyMs == '' then redis.call('ZREM', latency, sid) else redis.call('ZADD', latency, latencyMs, sid) end
end
for _, key in ipairs({active, latency, startup, startupAt}) do redis.call('PEXPIRE', key, retention) end
return 'accepted'
`;

/**
 * Drops sessions gone quiet, then reads the stream: viewers, percentiles by rank (nearest rank,
 * as in aggregate.ts) and every bucket of the window. Keys: active, latency, startup, startup-at.
 */
const readScript = `
local active, latency, startup, startupAt = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local base = ARGV[1]
local now, bucketMs, retention, activeMs = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local int = function(n) return string.format('%d', n) end
local function drop(times, also, cutoff)
  local gone = redis.call('ZRANGEBYSCORE', times, '-inf', cutoff)
  for _, sid in ipairs(gone) do redis.call('ZREM', also, sid) end
  redis.call('ZREMRANGEBYSCORE', times, '-inf', cutoff)
end
drop(active, latency, int(now - activeMs))
drop(startupAt, startup, int(now - retention))
local function percentiles(key)
  local n = redis.call('ZCARD', key)
  if n == 0 then return {0, '', ''} end
  local i50 = math.max(0, math.ceil(0.5 * n) - 1)
  local i95 = math.max(0, math.ceil(0.95 * n) - 1)
  return {n, redis.call('ZRANGE', key, i50, i50, 'WITHSCORES')[2], redis.call('ZRANGE', key, i95, i95, 'WITHSCORES')[2]}
end
local buckets = {}
local current = now - (now % bucketMs)
local first = (now - retention) - ((now - retention) % bucketMs) + bucketMs
for start = first, current, bucketMs do
  local fields = redis.call('HGETALL', base .. 'b:' .. int(start))
  if #fields > 0 then
    table.insert(buckets, int(start))
    table.insert(buckets, fields)
  end
end
return {redis.call('ZCARD', active), percentiles(startup), percentiles(latency), buckets}
`;

type PercentileReply = [count: number, p50: string, p95: string];

interface TelemetryScripts {
  telemetryRecord(...args: Array<string | number>): Promise<RecordOutcome>;
  telemetryRead(...args: Array<string | number>): Promise<[viewers: number, startup: PercentileReply, latency: PercentileReply, buckets: Array<string | string[]>]>;
}

type Client = (Redis | Cluster) & TelemetryScripts;

export interface RedisTelemetryStoreOptions {
  url?: string | undefined;
  clusterNodes?: string[] | undefined;
  keyPrefix: string;
  commandTimeoutMs: number;
}

const toHex = (text: string) => Buffer.from(text, 'utf8').toString('hex');
const fromHex = (hex: string) => Buffer.from(hex, 'hex').toString('utf8');

export class RedisTelemetryStore implements TelemetryStore {
  private readonly client: Client;
  private readonly prefix: string;
  /** When this instance last wrote each stream into `tm:streams`: once per bucket is enough. */
  private readonly listedAt = new Map<string, number>();

  /** Connects, or throws if Redis cannot be reached now. */
  static async connect(options: RedisTelemetryStoreOptions): Promise<RedisTelemetryStore> {
    const store = new RedisTelemetryStore(options);
    await store.client.connect();
    return store;
  }

  private constructor(options: RedisTelemetryStoreOptions) {
    this.prefix = options.keyPrefix + 'tm:';
    // Like the swarm store: fail a command at once while Redis is away (the beat gets a 503 and
    // its counters come again with the session's next beat), reconnect forever in the background.
    const nodeOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      enableAutoPipelining: true,
    };
    const retry = (attempt: number) => Math.min(attempt * 100, 1000);
    const client = options.clusterNodes
      ? new Cluster(
          options.clusterNodes.map((node) => ({ host: node.slice(0, node.lastIndexOf(':')), port: Number(node.slice(node.lastIndexOf(':') + 1)) })),
          { lazyConnect: true, enableOfflineQueue: false, enableAutoPipelining: true, clusterRetryStrategy: retry, redisOptions: nodeOptions },
        )
      : new Redis(options.url!, { ...nodeOptions, retryStrategy: retry });
    // Errors surface as failed commands (503s); the swarm store already logs Redis going away.
    client.on('error', () => undefined);
    client.defineCommand('telemetryRecord', { numberOfKeys: 5, lua: recordScript });
    client.defineCommand('telemetryRead', { numberOfKeys: 4, lua: readScript });
    this.client = client as Client;
  }

  async record(beat: Beat, now: number): Promise<RecordOutcome> {
    const base = this.streamBase(beat.stream);
    const [outcome] = await Promise.all([
      this.client.telemetryRecord(
        `${base}s:${beat.sid}`, base + 'active', base + 'latency', base + 'startup', base + 'startup-at',
        base, now, BUCKET_MS, RETENTION_MS, ACTIVE_MS, MAX_WATCH_DELTA_MS,
        beat.sid, beat.seq, beat.http, beat.p2p, beat.up, beat.peers, beat.stalls, beat.stallMs, beat.watchMs, beat.errors,
        beat.startupMs ?? '', beat.latencyMs ?? '', renditionField(beat.rendition), beat.end ? 1 : 0,
      ),
      this.list(beat.stream, now),
    ]);
    return outcome;
  }

  async streams(now: number, limit: number): Promise<string[]> {
    const key = this.prefix + 'streams';
    await this.client.zremrangebyscore(key, '-inf', now - RETENTION_MS);
    return (await this.client.zrevrangebyscore(key, '+inf', `(${now - RETENTION_MS}`, 'LIMIT', 0, limit)).map(fromHex);
  }

  async read(stream: string, now: number): Promise<StreamState | null> {
    const base = this.streamBase(stream);
    const [viewers, startup, latency, flat] = await this.client.telemetryRead(
      base + 'active', base + 'latency', base + 'startup', base + 'startup-at',
      base, now, BUCKET_MS, RETENTION_MS, ACTIVE_MS,
    );
    const buckets: StreamState['buckets'] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const pairs = flat[i + 1] as string[];
      const fields: Record<string, number> = {};
      for (let j = 0; j < pairs.length; j += 2) fields[pairs[j]!] = Number(pairs[j + 1]);
      buckets.push({ start: Number(flat[i]), fields });
    }
    if (buckets.length === 0 && viewers === 0 && startup[0] === 0) return null;
    return { stream, buckets, viewers, startup: percentiles(startup), latency: percentiles(latency) };
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private streamBase(stream: string): string {
    return `${this.prefix}{${toHex(stream)}}:`;
  }

  private async list(stream: string, now: number): Promise<void> {
    if ((this.listedAt.get(stream) ?? -Infinity) > now - BUCKET_MS) return;
    this.listedAt.set(stream, now);
    if (this.listedAt.size > 10_000) {
      for (const [name, at] of this.listedAt) if (at <= now - BUCKET_MS) this.listedAt.delete(name);
    }
    await this.client.zadd(this.prefix + 'streams', now, toHex(stream));
  }
}

function percentiles([count, p50, p95]: PercentileReply): Percentiles {
  return count === 0 ? { count: 0, p50: null, p95: null } : { count, p50: Number(p50), p95: Number(p95) };
}
