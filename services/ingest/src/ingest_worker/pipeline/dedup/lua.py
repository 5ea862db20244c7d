"""The Redis side of the dedup index: two Lua scripts, each run atomically by Redis.

Stored entry (see ``index.encode_entry``), 1-based positions as Lua sees them: format u8 at
1, added_at u32 at 2, rev u32 at 6, shingle count u32 at 10, figure count u8 at 14, sha128
at 15..30, signature (u16 per bin) from 31, then id length u8, id, figures u32 each. All
integers little-endian. ``rev`` is the number (from ``P:seq``) of the last change to the
entry: its insertion, or the last copy it absorbed.

``CHECK_AND_ADD`` inserts the article as canonical only if, at that instant, nothing the
caller has not verified could make it a duplicate: no memoised decision for its id, no live
owner of its exact hash, no live entry in its band buckets whose rev is newer than ``seen``.
Otherwise it changes nothing and returns what blocked it.

KEYS: 1 exact, 2 entries, 3 seq, 4 added (zset, window only), 5 memo today, 6 memo
yesterday, 7.. the LSH shard hash of each band (same order as the band keys in ARGV).
ARGV: 1 sha128, 2 record id, 3 packed entry, 4 now (s), 5 cutoff (s, -1 = keep all),
6 seen (-1 = nothing verified yet), 7 shard count, 8 LSH key prefix, 9 the decision to memoise
if kept ("" when it lists no near duplicates), 10.. band keys.
Replies: ``{0, handle}`` kept; ``{1, memo}`` decided before; ``{2, seq, owner_handle or 0,
owner_entry or "", handle, entry, ...}`` blocked, with the live candidates changed after
``seen``.

Expiry (window only): each insert also forgets up to 4 entries older than the cutoff,
including their exact hash and bucket entries, derived from the stored signature (the shard
keys are computed here, so that part assumes a single Redis, not Redis Cluster). Bucket
entries written before a canonical grew are left behind; they point to a deleted entry and
are skipped.
"""

from __future__ import annotations

from ingest_worker.pipeline.dedup.minhash import BAND_LAYOUT, NUM_BINS

MEMO_TTL = 2 * 86_400  # redeliveries come within hours (visibility timeout); two days is ample

_LAYOUT = "{" + ",".join("{" + ",".join(map(str, band)) + "}" for band in BAND_LAYOUT) + "}"

_COMMON = """
local LAYOUT = __LAYOUT__
local SIG, SIG_END = 31, 30 + 2 * __NBINS__
local function u32(v)
  return string.char(v % 256, math.floor(v / 256) % 256, math.floor(v / 65536) % 256,
                     math.floor(v / 16777216) % 256)
end
local function read_u32(s, at)
  local b1, b2, b3, b4 = string.byte(s, at, at + 3)
  return b1 + b2 * 256 + b3 * 65536 + b4 * 16777216
end
local function band_field(sig, band)
  local parts = {string.char(band - 1)}
  for _, bin in ipairs(LAYOUT[band]) do
    parts[#parts + 1] = string.sub(sig, 2 * bin + 1, 2 * bin + 2)
  end
  return table.concat(parts)
end
local function shard_key(prefix, shards, field)
  return prefix .. tostring(tonumber(string.sub(redis.sha1hex(field), 1, 8), 16) % shards)
end
"""


def _render(script: str) -> str:
    return (
        (_COMMON + script)
        .replace("__LAYOUT__", _LAYOUT)
        .replace("__NBINS__", str(NUM_BINS))
        .replace("__MEMO_TTL__", str(MEMO_TTL))
    )


_CHECK = """
-- One article's check-and-insert. K: exact, entries, seq, added, memo today, memo yesterday.
-- A: sha, rid, entry, now, cutoff, seen, shards, prefix, memo. BK/BF: band shard keys/fields.
local function check(K, A, BK, BF)
  local cutoff = tonumber(A.cutoff)
  local seen = tonumber(A.seen)
  local nbands = #BF

  local memo = redis.call('HGET', K[5], A.rid) or redis.call('HGET', K[6], A.rid)
  if memo then return {1, memo} end

  local function alive(h)
    if cutoff < 0 then return true end
    local t = redis.call('ZSCORE', K[4], h)
    return t ~= false and tonumber(t) >= cutoff
  end

  local owner = redis.call('HGET', K[1], A.sha)
  local owner_handle, owner_entry = 0, ''
  if owner and alive(owner) then
    local e = redis.call('HGET', K[2], owner)
    if e then owner_handle, owner_entry = tonumber(owner), e end
  end

  local out = {}
  local found = {}
  -- each band's bucket as read here is what the insert below appends to: nothing between
  -- writes a band key, and band keys start with the band number, so no two bands share one
  local buckets = {}
  for i = 1, nbands do
    local v = redis.call('HGET', BK[i], BF[i])
    buckets[i] = v or ''
    if v then
      for j = 1, #v, 4 do
        local h = read_u32(v, j)
        if not found[h] then
          found[h] = true
          if alive(h) then
            local e = redis.call('HGET', K[2], h)
            if e and read_u32(e, 6) > seen then
              out[#out + 1] = h
              out[#out + 1] = e
            end
          end
        end
      end
    end
  end

  if owner_handle > 0 or #out > 0 then
    local reply = {2, tonumber(redis.call('GET', K[3]) or '0'), owner_handle, owner_entry}
    for k = 1, #out do reply[#reply + 1] = out[k] end
    return reply
  end

  local h = redis.call('INCR', K[3])
  local hb = u32(h)
  local entry = string.sub(A.entry, 1, 5) .. hb .. string.sub(A.entry, 10)
  redis.call('HSET', K[2], h, entry)
  redis.call('HSET', K[1], A.sha, h)
  if A.memo ~= '' then
    redis.call('HSET', K[5], A.rid, A.memo)
    redis.call('EXPIRE', K[5], __MEMO_TTL__)
  end
  for i = 1, nbands do
    redis.call('HSET', BK[i], BF[i], buckets[i] .. hb)
  end

  if cutoff >= 0 then
    redis.call('ZADD', K[4], tonumber(A.now), h)
    local shards = tonumber(A.shards)
    local old = redis.call('ZRANGEBYSCORE', K[4], '-inf', '(' .. cutoff, 'LIMIT', 0, 4)
    for _, oh in ipairs(old) do
      local e = redis.call('HGET', K[2], oh)
      if e then
        local sha = string.sub(e, 15, 30)
        if redis.call('HGET', K[1], sha) == oh then redis.call('HDEL', K[1], sha) end
        local ob = u32(tonumber(oh))
        local sig = string.sub(e, SIG, SIG_END)
        for band = 1, #LAYOUT do
          local field = band_field(sig, band)
          local key = shard_key(A.prefix, shards, field)
          local v = redis.call('HGET', key, field)
          if v then
            local kept = {}
            for j = 1, #v, 4 do
              local chunk = string.sub(v, j, j + 3)
              if chunk ~= ob then kept[#kept + 1] = chunk end
            end
            if #kept == 0 then redis.call('HDEL', key, field)
            else redis.call('HSET', key, field, table.concat(kept)) end
          end
        end
        redis.call('HDEL', K[2], oh)
      end
      redis.call('ZREM', K[4], oh)
    end
  end
  return {0, h}
end
"""

CHECK_AND_ADD = _render(
    _CHECK
    + """
local BK, BF = {}, {}
for i = 1, #KEYS - 6 do
  BK[i] = KEYS[6 + i]
  BF[i] = ARGV[9 + i]
end
return check({KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]},
             {sha = ARGV[1], rid = ARGV[2], entry = ARGV[3], now = ARGV[4], cutoff = ARGV[5],
              seen = ARGV[6], shards = ARGV[7], prefix = ARGV[8], memo = ARGV[9]}, BK, BF)
"""
)

# KEYS: 1-6 as CHECK_AND_ADD's, then every article's band shard keys, article after article.
# ARGV: 1 now, 2 cutoff, 3 shard count, 4 LSH key prefix, then per article: sha128, record
# id, packed entry, band count n, then its n band keys (nothing is verified yet: seen is -1,
# and no decision is memoised with a kept article).
# Checks the articles in order, each as CHECK_AND_ADD would, and stops after the first that is
# not simply kept or memoised ({2, ...}: the caller verifies its candidates, settles it with
# CHECK_AND_ADD, then sends the rest): the outcome is that of one call per article in order.
# Reply: one CHECK_AND_ADD reply per article checked.
CHECK_AND_ADD_MANY = _render(
    _CHECK
    + """
local K = {KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]}
local replies = {}
local at, key_at = 5, 7
while at <= #ARGV do
  local n = tonumber(ARGV[at + 3])
  local BK, BF = {}, {}
  for i = 1, n do
    BK[i] = KEYS[key_at + i - 1]
    BF[i] = ARGV[at + 3 + i]
  end
  local reply = check(K, {sha = ARGV[at], rid = ARGV[at + 1], entry = ARGV[at + 2], now = ARGV[1],
                          cutoff = ARGV[2], seen = -1, shards = ARGV[3], prefix = ARGV[4],
                          memo = ''}, BK, BF)
  replies[#replies + 1] = reply
  if reply[1] == 2 then break end
  at, key_at = at + 4 + n, key_at + n
end
return replies
"""
)

# KEYS: 1 memo today, 2 entries, 3 seq. ARGV: 1 record id, 2 memo, 3 canonical handle,
# 4 figures of the copy (packed u32), 5 memo TTL (s), 6 most figures kept, 7 the copy's
# signature, 8 its shingle count, 9 shard count, 10 LSH key prefix. The first decision for a
# record id wins; only then does the canonical absorb the copy (``verify.absorb``): bin-wise
# minimum signature, union size, merged figures, a new rev from ``seq`` (so that concurrent
# checks that verified the old fingerprint retry), and bucket entries for changed bands.
RECORD_DUPLICATE = _render(
    """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
  local e = redis.call('HGET', KEYS[2], ARGV[3])
  if e then
    local copy = ARGV[7]
    local old_sig = string.sub(e, SIG, SIG_END)
    local bins, equal = {}, 0
    for i = 0, __NBINS__ - 1 do
      local a1, a2 = string.byte(old_sig, 2 * i + 1, 2 * i + 2)
      local b1, b2 = string.byte(copy, 2 * i + 1, 2 * i + 2)
      local va, vb = a1 + a2 * 256, b1 + b2 * 256
      if va == vb then equal = equal + 1 end
      if vb < va then bins[#bins + 1] = string.sub(copy, 2 * i + 1, 2 * i + 2)
      else bins[#bins + 1] = string.sub(old_sig, 2 * i + 1, 2 * i + 2) end
    end
    local new_sig = table.concat(bins)
    local size = math.floor((read_u32(e, 10) + tonumber(ARGV[8])) / (1.0 + equal / __NBINS__))

    local n = string.byte(e, 14)
    local rid_at = SIG_END + 1
    local nums_at = rid_at + 1 + string.byte(e, rid_at)
    local seen, values = {}, {}
    local function add(s)
      for j = 1, #s, 4 do
        local v = read_u32(s, j)
        if not seen[v] then
          seen[v] = true
          values[#values + 1] = v
        end
      end
    end
    add(string.sub(e, nums_at, nums_at + 4 * n - 1))
    add(ARGV[4])
    table.sort(values)
    local keep = math.min(#values, tonumber(ARGV[6]))
    local rev = redis.call('INCR', KEYS[3])
    local parts = {string.sub(e, 1, 5), u32(rev), u32(size), string.char(keep), string.sub(e, 15, 30),
                   new_sig, string.sub(e, rid_at, nums_at - 1)}
    for i = 1, keep do parts[#parts + 1] = u32(values[i]) end
    redis.call('HSET', KEYS[2], ARGV[3], table.concat(parts))

    local hb = u32(tonumber(ARGV[3]))
    local shards = tonumber(ARGV[9])
    for band = 1, #LAYOUT do
      local field = band_field(new_sig, band)
      if field ~= band_field(old_sig, band) then
        local key = shard_key(ARGV[10], shards, field)
        local v = redis.call('HGET', key, field) or ''
        local present = false
        for j = 1, #v, 4 do
          if string.sub(v, j, j + 3) == hb then present = true end
        end
        if not present then redis.call('HSET', key, field, v .. hb) end
      end
    end
  end
end
return redis.call('HGET', KEYS[1], ARGV[1])
"""
)
