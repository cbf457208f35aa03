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

/**
 * KEYS: peers, seeders, owners, localities, near (this peer's locality set), downloaded, addresses, proven, ring, reports.
 * ARGV: peerId, owner, locality, near-set key prefix, seeder (1|0), completed (1|0), numwant,
 * maxPeersPerSwarm, ttlMs, address, proven (1|0), takeOverFrom (an owner known to be gone, or ''),
 * the peer's ring key (seeding-ring.ts).
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
local peers, seeders, owners, localities, near, downloaded, addresses, proven, ring, reports = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
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
  redis.call('ZREM', ring, unpack(expired))
  redis.call('HDEL', reports, unpack(expired))
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
redis.call('ZADD', ring, ARGV[13], peerId)
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
 * KEYS: peers, seeders, owners, localities, addresses, proven, ring, reports. ARGV: peerId, owner, near-set key prefix.
 * Removes the peer only while `owner` still owns it; returns 1 if it did.
 */
export const leaveScript = `
local peers, seeders, owners, localities, addresses, proven, ring, reports = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
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
redis.call('ZREM', ring, peerId)
redis.call('HDEL', reports, peerId)
return 1
`;

/** Ring entries read per step while looking for live members: expired ones are skipped, a few pages at most. */
const WINDOW_PAGES = 4;

/**
 * KEYS: ring, peers, owners, addresses, reports. ARGV: from, count. Returns [live size, peer_ids,
 * owners, addresses, reports] of up to `count` live members met clockwise from `from` on the ring,
 * wrapping once.
 */
export const windowScript = `
local ring, peers = KEYS[1], KEYS[2]
local from, count = ARGV[1], tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ids = {}
local function collect(min, max)
  for page = 0, ${WINDOW_PAGES} - 1 do
    local found = redis.call('ZRANGEBYSCORE', ring, min, max, 'LIMIT', page * count, count)
    for _, id in ipairs(found) do
      local expiry = tonumber(redis.call('ZSCORE', peers, id) or '0')
      if expiry > now and #ids < count then ids[#ids + 1] = id end
    end
    if #ids >= count or #found < count then return end
  end
end
collect(from, '+inf')
if #ids < count then collect('-inf', '(' .. from) end
local size = redis.call('ZCOUNT', peers, '(' .. now, '+inf')
if #ids == 0 then return {size, {}, {}, {}, {}} end
return {size, ids, redis.call('HMGET', KEYS[3], unpack(ids)), redis.call('HMGET', KEYS[4], unpack(ids)), redis.call('HMGET', KEYS[5], unpack(ids))}
`;

/**
 * KEYS: ring, peers. ARGV: peerId, from. Returns [live size, place]: how many ring entries lie
 * clockwise from `from` before the peer, or -1 when it is not a live member.
 */
export const placeScript = `
local ring, peers = KEYS[1], KEYS[2]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local size = redis.call('ZCOUNT', peers, '(' .. now, '+inf')
local key = redis.call('ZSCORE', ring, ARGV[1])
local expiry = tonumber(redis.call('ZSCORE', peers, ARGV[1]) or '0')
if not key or expiry <= now then return {size, -1} end
local from = ARGV[2]
if tonumber(key) >= tonumber(from) then return {size, redis.call('ZCOUNT', ring, from, '(' .. key)} end
return {size, redis.call('ZCOUNT', ring, from, '+inf') + redis.call('ZCOUNT', ring, '-inf', '(' .. key)}
`;

/** KEYS: peers, seeders, downloaded. Returns [peers, seeders, downloaded], expired peers not counted. */
export const countsScript = `
local time = redis.call('TIME')
local alive = '(' .. (tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
return {redis.call('ZCOUNT', KEYS[1], alive, '+inf'), redis.call('ZCOUNT', KEYS[2], alive, '+inf'), tonumber(redis.call('GET', KEYS[3]) or '0')}
`;

/**
 * KEYS: the stream's cell count. ARGV: at least this many, ttlMs.
 * Raises the count (a missing key counts 1) and returns it; whoever raises it restarts its TTL.
 */
export const openCellsScript = `
local count = tonumber(redis.call('GET', KEYS[1]) or '1')
local wanted = tonumber(ARGV[1])
if wanted <= count then return count end
redis.call('SET', KEYS[1], wanted, 'PX', ARGV[2])
return wanted
`;

/** KEYS: peers, reports. ARGV: peerId, report. Keeps the report of a live member only. */
export const reportScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0') <= now then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], redis.call('PTTL', KEYS[1]))
return 1
`;
