/**
 * The Lua scripts of the Redis store. Each store operation is one script call per group
 * of sections (all sections at once on one Redis; one section per call on a Cluster, see
 * redis-plan.ts). A script checks everything before it changes anything, so a call is
 * all or nothing.
 *
 * Calling convention (every script):
 *   KEYS[s]   the generation marker `P:{tag}:g` of section s; the script builds the
 *             section's other keys from it (same hash tag, so the same slot)
 *   ARGV      now, pruneBefore, generation, number of sections, bump (1: a write),
 *             then per section the last write sequence this process saw there,
 *             then the operation's own arguments
 * Replies start with {status, sequences, holds expired by this call}. A reply
 * {'gen', reason, section} means the section's data cannot be trusted (lost, another
 * generation, or rewound to an older state) and nothing was changed.
 *
 * Numbers go back into redis.call() through int(): Lua would print 1e15 as
 * "1e+15", which HINCRBY refuses. Money stays integer (HINCRBY only).
 */

const PRELUDE = `
local now = tonumber(ARGV[1])
local pruneBefore = ARGV[2]
local gen = ARGV[3]
local nsec = tonumber(ARGV[4])
local bump = ARGV[5] == '1'
local ai = 6
local function arg() local v = ARGV[ai]; ai = ai + 1; return v end
local function int(x) return string.format('%d', x) end

local pre, seq = {}, {}
for s = 1, nsec do
  local last = tonumber(arg())
  local mk = KEYS[s]
  pre[s] = string.sub(mk, 1, -2)
  local m = redis.call('HMGET', mk, 'id', 'n', 'rw')
  if not m[1] then return {'gen', 'lost', s} end
  if m[1] ~= gen then return {'gen', 'generation', s} end
  if m[3] then return {'gen', 'rewound', s} end
  local n = tonumber(m[2] or '0')
  if n < last then
    redis.call('HSET', mk, 'rw', int(now))
    return {'gen', 'rewound', s}
  end
  if bump then n = redis.call('HINCRBY', mk, 'n', 1) end
  seq[s] = n
end

local expired = 0
-- Drops a reservation's holds in one section (and records its new state, plus the record
-- id when given); false when they were not active.
local function dropHolds(p, id, state, rid)
  local rk = p .. 'r:' .. id
  local r = redis.call('HMGET', rk, 'st', 'hs')
  redis.call('ZREM', p .. 'h', id)
  if r[1] ~= 'active' then return false end
  if r[2] then
    local list = cjson.decode(r[2])
    for i = 1, #list, 2 do
      local amt = list[i + 1]
      if amt ~= '0' then
        local ck = p .. 'c:' .. list[i]
        if redis.call('HINCRBY', ck, 'r', '-' .. amt) < 0 then
          -- Never below zero; and a counter that expired meanwhile is not brought back.
          if redis.call('PTTL', ck) == -1 and not redis.call('HGET', ck, 'u') then
            redis.call('DEL', ck)
          else
            redis.call('HSET', ck, 'r', 0)
          end
        end
      end
    end
  end
  if rid then redis.call('HSET', rk, 'st', state, 'rec', rid) else redis.call('HSET', rk, 'st', state) end
  return true
end
-- Holds whose reservation expired (plus the grace) and nobody released: dropped, counted.
local function prune(s)
  local p = pre[s]
  local ids = redis.call('ZRANGEBYSCORE', p .. 'h', '-inf', pruneBefore, 'LIMIT', 0, 64)
  local n = 0
  for _, id in ipairs(ids) do
    local home = redis.call('HEXISTS', p .. 'r:' .. id, 'j') == 1
    if dropHolds(p, id, 'expired') and home then n = n + 1 end
  end
  if n > 0 then
    redis.call('HINCRBY', p .. 's', 'expired', n)
    expired = expired + n
  end
end
local function readCounter(ck)
  local v = redis.call('HMGET', ck, 'u', 'r')
  return tonumber(v[1] or '0'), tonumber(v[2] or '0')
end
-- The counter's expiry is the same instant whenever it is set, so setting it again is harmless.
local function addUsage(ck, used, ttl)
  local u = redis.call('HINCRBY', ck, 'u', used)
  if ttl ~= '' and u == tonumber(used) then redis.call('PEXPIRE', ck, ttl) end
  return u, tonumber(redis.call('HGET', ck, 'r') or '0')
end
local clock, stampN
-- Usage records of a day, by time; ties keep arrival order (server time, then call order).
local function ledger(p, day, time, member, ttl, keepFrom)
  if not clock then clock = redis.call('TIME'); stampN = 0 end
  stampN = stampN + 1
  local lk = p .. 'l:' .. day
  local stamp = string.format('%010d%06d%04d', tonumber(clock[1]), tonumber(clock[2]), stampN)
  redis.call('ZADD', lk, time, stamp .. '|' .. member)
  redis.call('PEXPIRE', lk, ttl)
  -- A new day for this section: the index forgets days past the retention.
  if redis.call('ZADD', p .. 'ld', day, day) == 1 then
    redis.call('ZREMRANGEBYSCORE', p .. 'ld', '-inf', '(' .. keepFrom)
  end
end
`;

/** reserve: id, expiresAt, ttl, idempotency key, reservation JSON, locator key, locator value; per section: home, holds JSON, n, n × (counter, amount, cap, ttl). */
const RESERVE = `
local id, expiresAt, resTtl, idem, json, locKey, locVal = arg(), arg(), arg(), arg(), arg(), arg(), arg()
local secs, homeS = {}, 0
for s = 1, nsec do
  local sec = { home = arg() == '1', hs = arg(), holds = {} }
  if sec.home then homeS = s end
  for i = 1, tonumber(arg()) do sec.holds[i] = { arg(), arg(), arg(), arg() } end
  secs[s] = sec
end
for s = 1, nsec do prune(s) end
local function values()
  local out = {}
  for s = 1, nsec do
    for _, h in ipairs(secs[s].holds) do
      local u, r = readCounter(pre[s] .. 'c:' .. h[1])
      out[#out + 1] = u; out[#out + 1] = r
    end
  end
  return out
end
if homeS > 0 then
  local p = pre[homeS]
  local known = id
  if idem ~= '' and redis.call('EXISTS', p .. 'r:' .. id) == 0 then
    known = redis.call('GET', p .. 'i:' .. idem) or id
  end
  local r = redis.call('HMGET', p .. 'r:' .. known, 'j', 'st', 'rec')
  if r[1] then return {'replay', seq, expired, values(), r[1], r[2], r[3] or ''} end
end
local vals, failed, k = {}, {}, 0
for s = 1, nsec do
  for _, h in ipairs(secs[s].holds) do
    k = k + 1
    local v = redis.call('HMGET', pre[s] .. 'c:' .. h[1], 'u', 'r')
    local u, r = tonumber(v[1] or '0'), tonumber(v[2] or '0')
    vals[2 * k - 1] = u
    vals[2 * k] = r
    h.fresh = not v[1] and not v[2]
    if h[3] ~= '' and u + r + tonumber(h[2]) > tonumber(h[3]) then failed[#failed + 1] = k end
  end
end
if #failed > 0 then return {'fail', seq, expired, vals, failed} end
k = 0
for s = 1, nsec do
  local p, sec = pre[s], secs[s]
  for _, h in ipairs(sec.holds) do
    k = k + 1
    local ck = p .. 'c:' .. h[1]
    vals[2 * k] = redis.call('HINCRBY', ck, 'r', h[2])
    if h.fresh and h[4] ~= '' then redis.call('PEXPIRE', ck, h[4]) end
  end
  local rk = p .. 'r:' .. id
  if sec.home then
    redis.call('HSET', rk, 'j', json, 'st', 'active', 'hs', sec.hs, 'ik', idem)
    if idem ~= '' then redis.call('SET', p .. 'i:' .. idem, id, 'PX', resTtl) end
  else
    redis.call('HSET', rk, 'st', 'active', 'hs', sec.hs)
  end
  redis.call('PEXPIRE', rk, resTtl)
  redis.call('ZADD', p .. 'h', expiresAt, id)
end
if locKey ~= '' then redis.call('SET', locKey, locVal, 'PX', resTtl) end
return {'ok', seq, expired, vals}
`;

/** commit: id, record id, ledger member, time, day, ledger ttl, dedupe ttl, keep-days-from; per section: home, record, n, n × (counter, used, ttl). */
const COMMIT = `
local id, rid, member, time, day, ledgerTtl, dedupeTtl, keepFrom = arg(), arg(), arg(), arg(), arg(), arg(), arg(), arg()
local secs, homeS = {}, 0
for s = 1, nsec do
  local sec = { home = arg() == '1', record = arg() == '1', incs = {} }
  if sec.home then homeS = s end
  for i = 1, tonumber(arg()) do sec.incs[i] = { arg(), arg(), arg() } end
  secs[s] = sec
end
for s = 1, nsec do prune(s) end
local function values()
  local out = {}
  for s = 1, nsec do
    for _, inc in ipairs(secs[s].incs) do
      local u, r = readCounter(pre[s] .. 'c:' .. inc[1])
      out[#out + 1] = u; out[#out + 1] = r
    end
  end
  return out
end
local hj, hst = '', ''
if homeS > 0 then
  local r = redis.call('HMGET', pre[homeS] .. 'r:' .. id, 'j', 'st', 'rec')
  if not r[1] then return {'not_found', seq, expired} end
  if r[2] == 'committed' then return {'duplicate', seq, expired, values(), r[1], r[2], r[3] or ''} end
  hj, hst = r[1], r[2]
end
local status, dup, vals, k = 'applied', 0, {}, 0
for s = 1, nsec do
  local p, sec = pre[s], secs[s]
  if sec.home then
    if dropHolds(p, id, 'committed', rid) then
      status = 'committed'; hst = 'committed'
    else
      status = 'late'
      redis.call('HSET', p .. 'r:' .. id, 'rec', rid)
    end
  else
    dropHolds(p, id, 'committed')
  end
  local dk = p .. 'd:' .. rid
  local seen = redis.call('EXISTS', dk) == 1
  if sec.record and seen then dup = 1 end
  for _, inc in ipairs(sec.incs) do
    k = k + 1
    local ck = p .. 'c:' .. inc[1]
    if seen then
      vals[2 * k - 1], vals[2 * k] = readCounter(ck)
    else
      vals[2 * k - 1], vals[2 * k] = addUsage(ck, inc[2], inc[3])
    end
  end
  if not seen and (sec.record or #sec.incs > 0) then
    redis.call('SET', dk, '1', 'PX', dedupeTtl)
    if sec.record then ledger(p, day, time, member, ledgerTtl, keepFrom) end
  end
end
return {status, seq, expired, vals, hj, hst, rid, dup}
`;

/** release: id, state (released | expired | undo); per section: home. */
const RELEASE = `
local id, state = arg(), arg()
local homes, homeS = {}, 0
for s = 1, nsec do
  homes[s] = arg() == '1'
  if homes[s] then homeS = s end
end
for s = 1, nsec do prune(s) end
local j, rec = '', ''
if homeS > 0 then
  local r = redis.call('HMGET', pre[homeS] .. 'r:' .. id, 'j', 'st', 'rec')
  if not r[1] or r[2] ~= 'active' then return {'none', seq, expired, r[1] or '', r[2] or '', r[3] or ''} end
  j, rec = r[1], r[3] or ''
end
for s = 1, nsec do
  local p = pre[s]
  dropHolds(p, id, state == 'undo' and 'released' or state)
  if state == 'undo' then redis.call('DEL', p .. 'r:' .. id) end
end
if homeS > 0 and state == 'expired' then
  redis.call('HINCRBY', pre[homeS] .. 's', 'expired', 1)
  expired = expired + 1
end
return {'released', seq, expired, j, state, rec}
`;

/** record: cursor hash key, n, n × (key, value); items, each: record id, ledger member, time, day, ledger ttl, dedupe ttl, keep-days-from, record section, n, n × (section, counter, used, ttl). */
const RECORD = `
local curKey, ncur = arg(), tonumber(arg())
if ncur > 0 then
  local kv = {}
  for i = 1, 2 * ncur do kv[i] = arg() end
  redis.call('HSET', curKey, unpack(kv))
end
for s = 1, nsec do prune(s) end
local out = {}
for item = 1, tonumber(arg()) do
  local rid, member, time, day, ledgerTtl, dedupeTtl, keepFrom = arg(), arg(), arg(), arg(), arg(), arg(), arg()
  local recS = tonumber(arg())
  local seen, touched = {}, {}
  local function isSeen(s)
    if seen[s] == nil then seen[s] = redis.call('EXISTS', pre[s] .. 'd:' .. rid) == 1 end
    return seen[s]
  end
  local dup = -1
  if recS > 0 then dup = isSeen(recS) and 1 or 0 end
  local vals = {}
  for i = 1, tonumber(arg()) do
    local s, ck, used, ttl = tonumber(arg()), arg(), arg(), arg()
    ck = pre[s] .. 'c:' .. ck
    if isSeen(s) then
      vals[2 * i - 1], vals[2 * i] = readCounter(ck)
    else
      vals[2 * i - 1], vals[2 * i] = addUsage(ck, used, ttl)
      touched[s] = true
    end
  end
  if recS > 0 and not isSeen(recS) then
    touched[recS] = true
    ledger(pre[recS], day, time, member, ledgerTtl, keepFrom)
  end
  for s in pairs(touched) do redis.call('SET', pre[s] .. 'd:' .. rid, '1', 'PX', dedupeTtl) end
  out[item] = {dup, vals}
end
return {'ok', seq, expired, out}
`;

/** read: per section: n, n × counter. Reads only (no sequence bump, no pruning). */
const READ = `
local vals = {}
for s = 1, nsec do
  for i = 1, tonumber(arg()) do
    local u, r = readCounter(pre[s] .. 'c:' .. arg())
    vals[#vals + 1] = u; vals[#vals + 1] = r
  end
end
return {'ok', seq, 0, vals}
`;

export const LUA = {
  reserve: PRELUDE + RESERVE,
  commit: PRELUDE + COMMIT,
  release: PRELUDE + RELEASE,
  record: PRELUDE + RECORD,
  read: PRELUDE + READ,
} as const;
export type ScriptName = keyof typeof LUA;
