/**
 * Audience aggregates in Redis (one node or a cluster), shared by every tracker instance: a beat
 * is applied by one Lua script, atomically, whichever instance receives it, so two instances
 * aggregate into one view and a session's beats may arrive at any of them.
 *
 * Per stream, every key carries the hash tag `{<stream as hex>}`, so a stream lives in one slot:
 *   tm:{s}:b:<bucket start ms>  hash: the bucket's integer sums (`aggregate.ts`), expires after the window
 *   tm:{s}:s:<session id>       hash: what was counted for the session, its last beat's counters, its address, when first and last seen; expires after the window
 *   tm:{s}:a:<address>          sorted set session → last beat (ms): the places the address holds (`maxSessionsPerAddress`)
 *   tm:{s}:sessions             sorted set session → last beat (ms): the sessions held, for evicting the quietest
 *   tm:{s}:active               sorted set session → last beat (ms): viewers = members newer than ACTIVE_MS
 *   tm:{s}:latency              sorted set session → live latency ms (active sessions only): exact percentiles by rank
 *   tm:{s}:startup              sorted set session → startup ms; tm:{s}:startup-at: session → when recorded
 * Global: `tm:streams`, stream hex → last beat, the streams held (what the dashboard lists), and
 * `tm:{rank}:<bucket start>`, stream hex → verified watch ms in that bucket, what streams are
 * ranked by (one hash tag, so the recent buckets are summed by one command on a cluster too).
 * The scripts build bucket and session keys from the stream's base key (same hash tag, same
 * slot), like the swarm store builds its locality keys.
 */
import { Buffer } from 'node:buffer';
import type { Beat } from '@swarmcast/protocol/beat-schema';
import {
  ACTIVE_MS,
  BITRATE_MARGIN,
  BUCKET_MS,
  bucketStart,
  BUFFER_AHEAD_MS,
  countedLatency,
  countedStartup,
  FIRST_BEAT_WATCH_MS,
  firstRankedBucket,
  MAX_BUCKET_VALUE,
  MAX_EVENTS_PER_BEAT,
  MAX_RENDITIONS_PER_BUCKET,
  MAX_WATCH_DELTA_MS,
  OVERFLOW_RENDITION_FIELD,
  RANK_MS,
  RETENTION_MS,
  renditionField,
  type Percentiles,
  type StreamState,
} from './aggregate.ts';
import type { RedisClient } from '../store/redis-client.ts';
import type { RecordOutcome, RecordResult, TelemetryStore, TelemetryStoreLimits } from './store.ts';

/**
 * The same rules as `MemoryTelemetryStore.record` with `beatDeltas`, `sessionAfter` and
 * `beatAdditions` (with `heldRenditionField`), in Lua (startup and latency arrive clamped). Keys: session, active, latency,
 * startup, startup-at, sessions. Every sum is checked before the first write, so a beat that would
 * overflow one changes nothing. Returns {outcome, verified watch ms added, sessions evicted, http,
 * p2p and up bytes added}: all 0 but the outcome for a beat not accepted.
 */
const recordScript = `
local session, active, latency, startup, startupAt, sessions = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local base = ARGV[1]
local now, bucketMs, retention, activeMs, maxWatch = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local sid, seq = ARGV[7], tonumber(ARGV[8])
local http, p2p, up, peers = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local stalls, stallMs, watchMs, errors = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16])
local startupMs, latencyMs, rendition, ended = ARGV[17], ARGV[18], ARGV[19], ARGV[20] == '1'
local topBitrate, bufferAhead, margin, maxEvents = tonumber(ARGV[21]), tonumber(ARGV[22]), tonumber(ARGV[23]), tonumber(ARGV[24])
local maxValue, maxSessions = tonumber(ARGV[25]), tonumber(ARGV[26])
local address, maxPerAddress, firstBeatWatch = ARGV[27], tonumber(ARGV[28]), tonumber(ARGV[29])
local maxRenditions, overflowRendition = tonumber(ARGV[30]), ARGV[31]
local int = function(n) return string.format('%d', n) end
local function refused(outcome) return {outcome, 0, 0, 0, 0, 0} end

local prev = redis.call('HMGET', session, 'seq', 'http', 'p2p', 'up', 'stalls', 'stallMs', 'watchMs', 'errors', 'startup', 'at', 'watched', 'since', 'addr')
local known = prev[1] ~= false
if known and seq <= tonumber(prev[1]) then return refused('stale') end
local sessionAddress = prev[13] or address
local held = base .. 'a:' .. sessionAddress
redis.call('ZREMRANGEBYSCORE', held, '-inf', int(now - activeMs))
if not redis.call('ZSCORE', held, sid) and redis.call('ZCARD', held) >= maxPerAddress then return refused('too_many_sessions') end
local function counted(i) return tonumber(prev[i]) or 0 end
local function delta(i, value)
  local d = value - counted(i)
  if d < 0 then return 0 end
  return d
end
local since = tonumber(prev[12]) or now
local wall = now - since
local watched = counted(11)
local watch = math.min(delta(7, watchMs), maxWatch, math.max(0, wall + firstBeatWatch - watched))
local allowance = math.floor(((math.min(watched + watch, wall) + math.min(bufferAhead, wall)) * topBitrate * margin) / 8000)
local budget = math.max(0, allowance - counted(2) - counted(3))
local httpAdded = math.min(delta(2, http), budget)
local p2pAdded = math.min(delta(3, p2p), budget - httpAdded)
local upAdded = math.min(delta(4, up), math.max(0, allowance * math.max(1, peers) - counted(4)))
local vw = 0
if known then vw = math.min(watch, math.max(0, now - (tonumber(prev[10]) or now))) end

local current = now - (now % bucketMs)
local additions = {}
local function bucket(start) return base .. 'b:' .. int(start) end
local function add(start, field, value)
  if value > 0 then table.insert(additions, {bucket(start), field, value}) end
end
local function heldRendition(start)
  local key = bucket(start)
  if redis.call('HEXISTS', key, rendition) == 1 then return rendition end
  local held = 0
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if string.sub(field, 1, 2) == 'w:' and field ~= overflowRendition then held = held + 1 end
  end
  if held < maxRenditions then return rendition end
  return overflowRendition
end
add(current, 'beats', 1)
add(current, 'http', httpAdded)
add(current, 'p2p', p2pAdded)
add(current, 'up', upAdded)
add(current, 'stall', math.min(delta(6, stallMs), watch))
add(current, 'stalls', math.min(delta(5, stalls), maxEvents))
add(current, 'errors', math.min(delta(8, errors), maxEvents))
add(current, 'peers', peers)
add(current, 'vw', vw)
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
      add(start, heldRendition(start), piece)
    end
    start = start + bucketMs
  end
end
for _, a in ipairs(additions) do
  if (tonumber(redis.call('HGET', a[1], a[2])) or 0) + a[3] > maxValue then return refused('overflow') end
end
local touched = {}
for _, a in ipairs(additions) do
  redis.call('HINCRBY', a[1], a[2], int(a[3]))
  touched[a[1]] = true
end
for key in pairs(touched) do redis.call('PEXPIRE', key, retention + bucketMs) end

local evicted = 0
if not known then
  redis.call('ZREMRANGEBYSCORE', sessions, '-inf', int(now - retention))
  if redis.call('ZCARD', sessions) >= maxSessions then
    local victim = redis.call('ZRANGE', sessions, 0, 0)[1]
    local victimAddress = redis.call('HGET', base .. 's:' .. victim, 'addr')
    if victimAddress then redis.call('ZREM', base .. 'a:' .. victimAddress, victim) end
    redis.call('DEL', base .. 's:' .. victim)
    for _, key in ipairs({sessions, active, latency, startup, startupAt}) do redis.call('ZREM', key, victim) end
    evicted = 1
  end
end
redis.call('ZADD', sessions, int(now), sid)

local startupRecorded = prev[9] == '1'
if startupMs ~= '' and not startupRecorded then
  redis.call('ZADD', startup, startupMs, sid)
  redis.call('ZADD', startupAt, int(now), sid)
  startupRecorded = true
end
redis.call('HSET', session, 'seq', int(seq), 'http', int(counted(2) + httpAdded), 'p2p', int(counted(3) + p2pAdded),
  'up', int(counted(4) + upAdded), 'watched', int(watched + watch), 'stalls', int(stalls), 'stallMs', int(stallMs),
  'watchMs', int(watchMs), 'errors', int(errors), 'startup', startupRecorded and '1' or '0', 'since', int(since), 'at', int(now),
  'addr', sessionAddress)
redis.call('PEXPIRE', session, retention)
redis.call('ZADD', held, int(now), sid)
redis.call('PEXPIRE', held, activeMs)
if ended then
  redis.call('ZREM', active, sid)
  redis.call('ZREM', latency, sid)
else
  redis.call('ZADD', active, int(now), sid)
  if latencyMs == '' then redis.call('ZREM', latency, sid) else redis.call('ZADD', latency, latencyMs, sid) end
end
for _, key in ipairs({active, latency, startup, startupAt, sessions}) do redis.call('PEXPIRE', key, retention) end
return {'accepted', vw, evicted, httpAdded, p2pAdded, upAdded}
`;

/**
 * Deletes an evicted stream: its buckets of the window, its sorted sets and every session they
 * hold, with their addresses' places. Keys: active, latency, startup, startup-at, sessions.
 */
const evictScript = `
local base = ARGV[1]
local now, bucketMs, retention = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local int = function(n) return string.format('%d', n) end
for _, sid in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  local address = redis.call('HGET', base .. 's:' .. sid, 'addr')
  if address then redis.call('DEL', base .. 'a:' .. address) end
  redis.call('DEL', base .. 's:' .. sid)
end
local current = now - (now % bucketMs)
for start = current - retention - bucketMs, current, bucketMs do redis.call('DEL', base .. 'b:' .. int(start)) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return 1
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
  telemetryRecord(
    ...args: Array<string | number>
  ): Promise<[outcome: RecordOutcome, verifiedWatchMs: number, evictedSessions: number, http: number, p2p: number, up: number]>;
  telemetryEvict(...args: Array<string | number>): Promise<number>;
  telemetryRead(...args: Array<string | number>): Promise<[viewers: number, startup: PercentileReply, latency: PercentileReply, buckets: Array<string | string[]>]>;
}

type Client = RedisClient & TelemetryScripts;

export interface RedisTelemetryStoreOptions {
  /** Prepended to every key, as for the swarm store. */
  keyPrefix: string;
  limits: TelemetryStoreLimits;
}

/** Ranks are read at most this often for evictions: a flood of new streams must not read them once per stream. */
const RANK_REUSE_MS = 1000;
/** The stream to evict is looked for among this many least recently seen ones first. */
const EVICTION_CANDIDATES = 32;

const toHex = (text: string) => Buffer.from(text, 'utf8').toString('hex');
const fromHex = (hex: string) => Buffer.from(hex, 'hex').toString('utf8');

export class RedisTelemetryStore implements TelemetryStore {
  private readonly client: Client;
  private readonly prefix: string;
  private readonly limits: TelemetryStoreLimits;
  /** When this instance last wrote each stream into `tm:streams`: once per bucket is enough. */
  private readonly listedAt = new Map<string, number>();
  private ranksRead: { at: number; ranks: Promise<Map<string, number>> } | undefined;

  /**
   * On the process's client (`redis-client.ts`), shared with the swarm store: like its commands, a
   * command here fails at once while Redis is away (the beat gets a 503 and its counters come again
   * with the session's next beat), and the client reconnects in the background.
   */
  constructor(client: RedisClient, options: RedisTelemetryStoreOptions) {
    this.prefix = options.keyPrefix + 'tm:';
    this.limits = options.limits;
    client.defineCommand('telemetryRecord', { numberOfKeys: 6, lua: recordScript });
    client.defineCommand('telemetryEvict', { numberOfKeys: 5, lua: evictScript });
    client.defineCommand('telemetryRead', { numberOfKeys: 4, lua: readScript });
    this.client = client as Client;
  }

  async record(beat: Beat, now: number, address: string): Promise<RecordResult> {
    const base = this.streamBase(beat.stream);
    const [[outcome, verifiedWatchMs, evictedSessions, http, p2p, up]] = await Promise.all([
      this.client.telemetryRecord(
        `${base}s:${beat.sid}`, base + 'active', base + 'latency', base + 'startup', base + 'startup-at', base + 'sessions',
        base, now, BUCKET_MS, RETENTION_MS, ACTIVE_MS, MAX_WATCH_DELTA_MS,
        beat.sid, beat.seq, beat.http, beat.p2p, beat.up, beat.peers, beat.stalls, beat.stallMs, beat.watchMs, beat.errors,
        countedStartup(beat) ?? '', countedLatency(beat) ?? '', renditionField(beat.rendition), beat.end ? 1 : 0,
        this.limits.topBitrate, BUFFER_AHEAD_MS, BITRATE_MARGIN, MAX_EVENTS_PER_BEAT, MAX_BUCKET_VALUE, this.limits.maxSessionsPerStream,
        address, this.limits.maxSessionsPerAddress, FIRST_BEAT_WATCH_MS, MAX_RENDITIONS_PER_BUCKET, OVERFLOW_RENDITION_FIELD,
      ),
      this.list(beat.stream, now),
    ]);
    if (evictedSessions > 0) this.limits.onEviction('session');
    if (verifiedWatchMs > 0) {
      const key = this.rankKey(bucketStart(now));
      await Promise.all([this.client.zincrby(key, verifiedWatchMs, toHex(beat.stream)), this.client.pexpire(key, RANK_MS + 2 * BUCKET_MS)]);
    }
    return { outcome, bytes: { http, p2p, up } };
  }

  async streams(now: number, limit: number): Promise<string[]> {
    const key = this.prefix + 'streams';
    await this.client.zremrangebyscore(key, '-inf', now - RETENTION_MS);
    const [ranks, listed] = await Promise.all([this.ranks(now), this.client.zrange(key, 0, -1, 'WITHSCORES')]);
    const streams: Array<{ hex: string; rank: number; lastSeen: number }> = [];
    for (let i = 0; i < listed.length; i += 2) streams.push({ hex: listed[i]!, rank: ranks.get(listed[i]!) ?? 0, lastSeen: Number(listed[i + 1]) });
    return streams
      .sort((a, b) => b.rank - a.rank || b.lastSeen - a.lastSeen)
      .slice(0, limit)
      .map(({ hex }) => fromHex(hex));
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

  /** The client is the process's, closed by its owner (storage.ts). */
  async close(): Promise<void> {
    this.listedAt.clear();
    this.ranksRead = undefined;
  }

  private streamBase(stream: string): string {
    return `${this.prefix}{${toHex(stream)}}:`;
  }

  private rankKey(start: number): string {
    return `${this.prefix}{rank}:${start}`;
  }

  /** Verified watch ms per stream (hex) over the last `RANK_MS`. */
  private async ranks(now: number): Promise<Map<string, number>> {
    const keys: string[] = [];
    for (let start = firstRankedBucket(now); start <= now; start += BUCKET_MS) keys.push(this.rankKey(start));
    const flat = await this.client.zunion(keys.length, ...keys, 'WITHSCORES');
    const ranks = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) ranks.set(flat[i]!, Number(flat[i + 1]));
    return ranks;
  }

  private async list(stream: string, now: number): Promise<void> {
    if ((this.listedAt.get(stream) ?? -Infinity) > now - BUCKET_MS) return;
    this.listedAt.set(stream, now);
    if (this.listedAt.size > 10_000) {
      for (const [name, at] of this.listedAt) if (at <= now - BUCKET_MS) this.listedAt.delete(name);
    }
    const key = this.prefix + 'streams';
    const hex = toHex(stream);
    if ((await this.client.zadd(key, now, hex)) === 0) return;
    // Evictions racing on this or another instance may pick the same stream: the loser tries again.
    for (let attempt = 0; attempt < 3 && (await this.client.zcard(key)) > this.limits.maxStreams; attempt++) await this.evictStream(now, hex);
  }

  /** The least recently seen stream without verified watch time; when the oldest all have some, the one with the least. */
  private async evictStream(now: number, newcomer: string): Promise<void> {
    const key = this.prefix + 'streams';
    if (!this.ranksRead || now - this.ranksRead.at > RANK_REUSE_MS) this.ranksRead = { at: now, ranks: this.ranks(now) };
    const ranks = await this.ranksRead.ranks;
    const rankOf = (hex: string) => ranks.get(hex) ?? 0;
    const others = (hexes: string[]) => hexes.filter((hex) => hex !== newcomer);
    let victim = others(await this.client.zrange(key, 0, EVICTION_CANDIDATES - 1)).find((hex) => rankOf(hex) === 0);
    if (victim === undefined) {
      victim = others(await this.client.zrange(key, 0, -1)).reduce<string | undefined>((least, hex) => (least === undefined || rankOf(hex) < rankOf(least) ? hex : least), undefined);
    }
    // Another instance may be evicting the same stream: the one that takes it off the list deletes it.
    if (victim === undefined || (await this.client.zrem(key, victim)) === 0) return;
    this.limits.onEviction('stream');
    const base = this.streamBase(fromHex(victim));
    await this.client.telemetryEvict(base + 'active', base + 'latency', base + 'startup', base + 'startup-at', base + 'sessions', base, now, BUCKET_MS, RETENTION_MS);
  }
}

function percentiles([count, p50, p95]: PercentileReply): Percentiles {
  return count === 0 ? { count: 0, p50: null, p95: null } : { count, p50: Number(p50), p95: Number(p95) };
}
