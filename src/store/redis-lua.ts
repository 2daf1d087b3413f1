/**
 * The Lua script of the Redis store. One call carries one or more operations (reserve,
 * commit, release, record, read): on one Redis the runner puts the operations made while
 * a call is being answered into the next call (redis-runner.ts); on a Cluster each call
 * carries one operation over one section (redis-plan.ts). Each operation checks
 * everything before it changes anything, so each is all or nothing; operations of one
 * call run one after the other, in the order they were made.
 *
 * Calling convention:
 *   KEYS[s]   the generation marker `P:{tag}:g` of section s; the script builds the
 *             section's other keys from it (same hash tag, so the same slot)
 *   ARGV      now, pruneBefore, generation, number of sections, bump (1: a write),
 *             then per section the last write sequence this process saw there,
 *             then the number of operations and each operation (see DISPATCH)
 * The reply is {sequence per section, holds expired by this call, operation replies}.
 * An operation's reply starts with its status; {'gen', reason, section} means one of its
 * sections cannot be trusted (lost, another generation, or rewound to an older state) and
 * it changed nothing; {'err', message} means it raised an error.
 *
 * Numbers go back into redis.call() through int(): Lua would print 1e15 as
 * "1e+15", which HINCRBY refuses. Money stays integer (HINCRBY only).
 */

const PRELUDE = `
local now = tonumber(ARGV[1])
local pruneBefore = ARGV[2]
local gen = ARGV[3]
local nsecAll = tonumber(ARGV[4])
local bump = ARGV[5] == '1'
local ai = 6
local function arg() local v = ARGV[ai]; ai = ai + 1; return v end
local function int(x) return string.format('%d', x) end

-- Each section checked (and its sequence bumped) once per call, however many operations
-- it carries; a section that cannot be trusted refuses only the operations touching it.
local gpre, gseq, bad = {}, {}, {}
for s = 1, nsecAll do
  local last = tonumber(arg())
  local mk = KEYS[s]
  gpre[s] = string.sub(mk, 1, -2)
  gseq[s] = 0
  local m = redis.call('HMGET', mk, 'id', 'n', 'rw')
  if not m[1] then bad[s] = 'lost'
  elseif m[1] ~= gen then bad[s] = 'generation'
  elseif m[3] then bad[s] = 'rewound'
  else
    local n = tonumber(m[2] or '0')
    if n < last then
      redis.call('HSET', mk, 'rw', int(now))
      bad[s] = 'rewound'
    else
      if bump then n = redis.call('HINCRBY', mk, 'n', 1) end
      gseq[s] = n
    end
  end
end

local expired = 0
-- Drops a reservation's holds in one section (and records its new state, plus the record
-- id when given); false when they were not active. r: its {state, holds} when already
-- read; rs: when given, gets each counter's reserved value after the drop, by key.
local function dropHolds(p, id, state, rid, r, rs)
  local rk = p .. 'r:' .. id
  r = r or redis.call('HMGET', rk, 'st', 'hs')
  redis.call('ZREM', p .. 'h', id)
  if r[1] ~= 'active' then return false end
  if r[2] then
    local list = cjson.decode(r[2])
    for i = 1, #list, 2 do
      local amt = list[i + 1]
      if amt ~= '0' then
        local ck = p .. 'c:' .. list[i]
        local left = redis.call('HINCRBY', ck, 'r', '-' .. amt)
        if left < 0 then
          left = 0
          -- Never below zero; and a counter that expired meanwhile is not brought back.
          if redis.call('PTTL', ck) == -1 and not redis.call('HGET', ck, 'u') then
            redis.call('DEL', ck)
          else
            redis.call('HSET', ck, 'r', 0)
          end
        end
        if rs then rs[ck] = left end
      end
    end
  end
  if rid then redis.call('HSET', rk, 'st', state, 'rec', rid) else redis.call('HSET', rk, 'st', state) end
  return true
end
-- Holds whose reservation expired (plus the grace) and nobody released: dropped, counted.
local function prune(p)
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
-- r: its reserved value when known (just written by dropHolds).
local function addUsage(ck, used, ttl, r)
  local u = redis.call('HINCRBY', ck, 'u', used)
  if ttl ~= '' and u == tonumber(used) then redis.call('PEXPIRE', ck, ttl) end
  return u, r or tonumber(redis.call('HGET', ck, 'r') or '0')
end
local clock, stampN
-- Usage records of a day, by time; ties keep arrival order (server time, then call order).
local function ledger(p, day, time, member, ttl, keepFrom)
  if not clock then clock = redis.call('TIME'); stampN = 0 end
  stampN = stampN + 1
  local lk = p .. 'l:' .. day
  local stamp = string.format('%010d%06d%04d', tonumber(clock[1]), tonumber(clock[2]), stampN)
  redis.call('ZADD', lk, time, stamp .. '|' .. member)
  -- A new day for this section: the day's expiry is set, and the index forgets days past
  -- the retention. A day the index holds got its expiry then, reaching past the day's end
  -- plus the retention: set again only for past days (a late record after the trim).
  if redis.call('ZADD', p .. 'ld', day, day) == 1 then
    redis.call('PEXPIRE', lk, ttl)
    redis.call('ZREMRANGEBYSCORE', p .. 'ld', '-inf', '(' .. keepFrom)
  elseif tonumber(day) + 86400000 <= now then
    redis.call('PEXPIRE', lk, ttl)
  end
end
`;

/** reserve: id, expiresAt, ttl, idempotency key, reservation JSON, locator key, locator value; per section: home, holds JSON, n, n × (counter, amount, cap, ttl). */
const RESERVE = `
OPS.reserve = function(pre, seq, nsec)
  local id, expiresAt, resTtl, idem, json, locKey, locVal = arg(), arg(), arg(), arg(), arg(), arg(), arg()
  local secs, homeS = {}, 0
  for s = 1, nsec do
    local sec = { home = arg() == '1', hs = arg(), holds = {} }
    if sec.home then homeS = s end
    for i = 1, tonumber(arg()) do sec.holds[i] = { arg(), arg(), arg(), arg() } end
    secs[s] = sec
  end
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
    if r[1] then return {'replay', seq, 0, values(), r[1], r[2], r[3] or ''} end
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
  if #failed > 0 then return {'fail', seq, 0, vals, failed} end
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
  return {'ok', seq, 0, vals}
end
`;

/** commit: id, record id, ledger member, time, day, ledger ttl, dedupe ttl, keep-days-from; per section: home, record, n, n × (counter, used, ttl). */
const COMMIT = `
OPS.commit = function(pre, seq, nsec)
  local id, rid, member, time, day, ledgerTtl, dedupeTtl, keepFrom = arg(), arg(), arg(), arg(), arg(), arg(), arg(), arg()
  local secs, homeS = {}, 0
  for s = 1, nsec do
    local sec = { home = arg() == '1', record = arg() == '1', incs = {} }
    if sec.home then homeS = s end
    for i = 1, tonumber(arg()) do sec.incs[i] = { arg(), arg(), arg() } end
    secs[s] = sec
  end
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
  local hj, hst, homeR = '', '', nil
  if homeS > 0 then
    local r = redis.call('HMGET', pre[homeS] .. 'r:' .. id, 'j', 'st', 'rec', 'hs')
    if not r[1] then return {'not_found', seq, 0} end
    if r[2] == 'committed' then return {'duplicate', seq, 0, values(), r[1], r[2], r[3] or ''} end
    hj, hst, homeR = r[1], r[2], {r[2], r[4]}
  end
  local status, dup, vals, k = 'applied', 0, {}, 0
  for s = 1, nsec do
    local p, sec, rs = pre[s], secs[s], {}
    if sec.home then
      if dropHolds(p, id, 'committed', rid, homeR, rs) then
        status = 'committed'; hst = 'committed'
      else
        status = 'late'
        redis.call('HSET', p .. 'r:' .. id, 'rec', rid)
      end
    else
      dropHolds(p, id, 'committed', nil, nil, rs)
    end
    -- The record id's mark in this section, set now if new: a record id counts once.
    local seen = false
    if sec.record or #sec.incs > 0 then
      seen = not redis.call('SET', p .. 'd:' .. rid, '1', 'PX', dedupeTtl, 'NX')
    end
    if sec.record and seen then dup = 1 end
    for _, inc in ipairs(sec.incs) do
      k = k + 1
      local ck = p .. 'c:' .. inc[1]
      if seen then
        vals[2 * k - 1], vals[2 * k] = readCounter(ck)
      else
        vals[2 * k - 1], vals[2 * k] = addUsage(ck, inc[2], inc[3], rs[ck])
      end
    end
    if not seen and sec.record then ledger(p, day, time, member, ledgerTtl, keepFrom) end
  end
  return {status, seq, 0, vals, hj, hst, rid, dup}
end
`;

/** release: id, state (released | expired | undo); per section: home. */
const RELEASE = `
OPS.release = function(pre, seq, nsec)
  local id, state = arg(), arg()
  local homes, homeS = {}, 0
  for s = 1, nsec do
    homes[s] = arg() == '1'
    if homes[s] then homeS = s end
  end
  local j, rec = '', ''
  if homeS > 0 then
    local r = redis.call('HMGET', pre[homeS] .. 'r:' .. id, 'j', 'st', 'rec')
    if not r[1] or r[2] ~= 'active' then return {'none', seq, 0, r[1] or '', r[2] or '', r[3] or ''} end
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
  return {'released', seq, 0, j, state, rec}
end
`;

/** record: cursor hash key, n, n × (key, value); items, each: record id, ledger member, time, day, ledger ttl, dedupe ttl, keep-days-from, record section, n, n × (section, counter, used, ttl). */
const RECORD = `
OPS.record = function(pre, seq, nsec)
  local curKey, ncur = arg(), tonumber(arg())
  if ncur > 0 then
    local kv = {}
    for i = 1, 2 * ncur do kv[i] = arg() end
    redis.call('HSET', curKey, unpack(kv))
  end
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
  return {'ok', seq, 0, out}
end
`;

/** read: per section: n, n × counter. Reads only (no sequence bump, no pruning). */
const READ = `
OPS.read = function(pre, seq, nsec)
  local vals = {}
  for s = 1, nsec do
    for i = 1, tonumber(arg()) do
      local u, r = readCounter(pre[s] .. 'c:' .. arg())
      vals[#vals + 1] = u; vals[#vals + 1] = r
    end
  end
  return {'ok', seq, 0, vals}
end
`;

/**
 * The operations of one call, in order: per operation its name, its sections (indices into
 * KEYS), the count of its own arguments, then those. Each runs in a pcall, so an error ends
 * that operation alone; each checks before it writes, so each is all or nothing.
 */
const DISPATCH = `
local nops = tonumber(arg())
local out = {}
for o = 1, nops do
  local name, k = arg(), tonumber(arg())
  local nargs = tonumber(arg())
  local pre, seq, why, at = {}, {}, nil, 0
  for j = 1, k do
    local s = tonumber(arg())
    pre[j] = gpre[s]
    seq[j] = gseq[s]
    if bad[s] and not why then why, at = bad[s], j end
  end
  local stop = ai + nargs
  if why then
    out[o] = {'gen', why, at}
  else
    if bump then for j = 1, k do if not pruned[pre[j]] then pruned[pre[j]] = true; prune(pre[j]) end end end
    local ok, r = pcall(OPS[name], pre, seq, k)
    if ok then out[o] = r
    else
      if type(r) == 'table' then r = r.err or r.ok end
      out[o] = {'err', tostring(r)}
    end
  end
  ai = stop
end
return {gseq, expired, out}
`;

export const LUA = {
  ops: PRELUDE + 'local OPS, pruned = {}, {}\n' + RESERVE + COMMIT + RELEASE + RECORD + READ + DISPATCH,
} as const;
export type ScriptName = keyof typeof LUA;
export type OpName = 'reserve' | 'commit' | 'release' | 'record' | 'read';
