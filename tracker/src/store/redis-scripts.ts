/**
 * Lua scripts of the Redis store. Each runs against the keys of one swarm, which share a hash tag
 * and so one cluster slot, and each is one round trip whatever the swarm's size.
 *
 * Times come from the Redis server's clock (TIME), so instances with skewed clocks agree on
 * which peers have expired. A member's score is the time it expires, in milliseconds.
 */

/**
 * Expired peers removed per announce. Bounded so the announce after an instance with thousands of
 * peers died does not stall Redis; leftovers are removed by the next announces, and until then
 * every read ignores them by score.
 */
const TRIM_BATCH = 500;
/** Values passed to one command through Lua's unpack, which fails beyond its C stack (~8,000). */
const UNPACK_CHUNK = 1000;

/**
 * KEYS: peers, seeders, owners, localities, near (this peer's locality set), downloaded, addresses, proven.
 * ARGV: peerId, owner, locality, near-set key prefix, seeder (1|0), completed (1|0), numwant,
 * maxPeersPerSwarm, ttlMs, address, proven (1|0), takeOverFrom (an owner known to be gone, or '').
 * Returns [outcome, peers, seeders, picked peer_ids, their owners, holder]; holder is the owner that
 * keeps the peer_id when the outcome is peer_id_taken.
 *
 * Ownership (store.ts): a proven announce takes the peer_id from any owner; otherwise the holder
 * keeps it unless it is unproven and `takeOverFrom` (whose instance the caller found dead).
 *
 * A locality set other than this peer's is named from the prefix: it carries the same hash tag,
 * so it lives in the same slot although it is not declared in KEYS.
 */
export const announceScript = `
local peers, seeders, owners, localities, near, downloaded, addresses, proven = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local peerId, owner, locality, nearPrefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local numwant, maxPeers, ttl = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local address, isProven, takeOverFrom = ARGV[10], ARGV[11] == '1', ARGV[12]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local alive = '(' .. now

local expired = redis.call('ZRANGEBYSCORE', peers, '-inf', now, 'LIMIT', 0, ${TRIM_BATCH})
if #expired > 0 then
  local places = redis.call('HMGET', localities, unpack(expired))
  for i, id in ipairs(expired) do
    if places[i] then redis.call('ZREM', nearPrefix .. places[i], id) end
  end
  redis.call('ZREM', peers, unpack(expired))
  redis.call('ZREM', seeders, unpack(expired))
  redis.call('HDEL', owners, unpack(expired))
  redis.call('HDEL', localities, unpack(expired))
  redis.call('HDEL', addresses, unpack(expired))
  redis.call('SREM', proven, unpack(expired))
end

local score = tonumber(redis.call('ZSCORE', peers, peerId))
local member = score ~= nil and score > now
if member then
  local current = redis.call('HGET', owners, peerId)
  if current and current ~= owner and not isProven and (current ~= takeOverFrom or redis.call('SISMEMBER', proven, peerId) == 1) then
    return {'peer_id_taken', redis.call('ZCOUNT', peers, alive, '+inf'), redis.call('ZCOUNT', seeders, alive, '+inf'), {}, {}, current}
  end
elseif redis.call('ZCOUNT', peers, alive, '+inf') >= maxPeers then
  return {'swarm_full', redis.call('ZCOUNT', peers, alive, '+inf'), redis.call('ZCOUNT', seeders, alive, '+inf'), {}, {}}
end

local expiry = now + ttl
local previous = redis.call('HGET', localities, peerId)
if previous and previous ~= locality then redis.call('ZREM', nearPrefix .. previous, peerId) end
redis.call('ZADD', peers, expiry, peerId)
redis.call('ZADD', near, expiry, peerId)
redis.call('HSET', owners, peerId, owner)
redis.call('HSET', localities, peerId, locality)
redis.call('HSET', addresses, peerId, address)
if isProven then redis.call('SADD', proven, peerId) else redis.call('SREM', proven, peerId) end
if ARGV[5] == '1' then redis.call('ZADD', seeders, expiry, peerId) else redis.call('ZREM', seeders, peerId) end
if ARGV[6] == '1' then redis.call('INCR', downloaded) end
-- A swarm nobody announces to any more vanishes whole, whatever happened to its instances.
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ttl) end

local picked, seen = {}, {[peerId] = true}
local function sample(key)
  -- numwant + 1 distinct members leave numwant once the announcing peer is skipped.
  local found = redis.call('ZRANDMEMBER', key, numwant + 1, 'WITHSCORES')
  for i = 1, #found, 2 do
    if #picked >= numwant then return end
    local id = found[i]
    if not seen[id] and tonumber(found[i + 1]) > now then
      seen[id] = true
      picked[#picked + 1] = id
    end
  end
end
if numwant > 0 then
  sample(near)
  if #picked < numwant then sample(peers) end
end
local pickedOwners = {}
if #picked > 0 then pickedOwners = redis.call('HMGET', owners, unpack(picked)) end
return {'ok', redis.call('ZCOUNT', peers, alive, '+inf'), redis.call('ZCOUNT', seeders, alive, '+inf'), picked, pickedOwners, false}
`;

/**
 * KEYS: peers, seeders, owners, localities, addresses, proven. ARGV: peerId, owner, near-set key prefix.
 * Removes the peer only while `owner` still owns it; returns 1 if it did.
 */
export const leaveScript = `
local peers, seeders, owners, localities, addresses, proven = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local peerId = ARGV[1]
if redis.call('HGET', owners, peerId) ~= ARGV[2] then return 0 end
local place = redis.call('HGET', localities, peerId)
if place then redis.call('ZREM', ARGV[3] .. place, peerId) end
redis.call('ZREM', peers, peerId)
redis.call('ZREM', seeders, peerId)
redis.call('HDEL', owners, peerId)
redis.call('HDEL', localities, peerId)
redis.call('HDEL', addresses, peerId)
redis.call('SREM', proven, peerId)
return 1
`;

/**
 * KEYS: peers, owners, addresses. ARGV: limit. Returns [peer_ids, owners, addresses] of up to
 * `limit` members whose membership has not expired.
 */
export const membersScript = `
local time = redis.call('TIME')
local alive = '(' .. (tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], alive, '+inf', 'LIMIT', 0, tonumber(ARGV[1]))
-- unpack takes at most a few thousand values: read the hashes in chunks.
local function fieldsOf(key)
  local values = {}
  for first = 1, #ids, ${UNPACK_CHUNK} do
    local chunk = redis.call('HMGET', key, unpack(ids, first, math.min(first + ${UNPACK_CHUNK} - 1, #ids)))
    for i = 1, #chunk do values[#values + 1] = chunk[i] end
  end
  return values
end
return {ids, fieldsOf(KEYS[2]), fieldsOf(KEYS[3])}
`;

/** KEYS: peers, seeders, downloaded. Returns [peers, seeders, downloaded], expired peers not counted. */
export const countsScript = `
local time = redis.call('TIME')
local alive = '(' .. (tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
return {redis.call('ZCOUNT', KEYS[1], alive, '+inf'), redis.call('ZCOUNT', KEYS[2], alive, '+inf'), tonumber(redis.call('GET', KEYS[3]) or '0')}
`;
