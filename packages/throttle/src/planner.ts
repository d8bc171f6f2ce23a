import { randomUUID } from 'node:crypto';
import { isCluster, type RedisClient } from '@tickpulse/redis';
import type { RedisKeys } from '@tickpulse/contracts';

/**
 * The per-ticker throttle planner (docs/go-backend.md#per-ticker-throttle-loop).
 * It has two throttles; `go` is the default and the Go loop's own rule.
 *
 * **go**: for a strategy and a bucket, the tickers due for evaluation are
 *
 *   (TICK:UPD members with score ≥ bucket start)
 *   ∩ (STRAT:<id>:UNIV, or every ticker for a global strategy)
 *   − (tickers whose STRAT:<id>:LAST field equals the bucket's decimal string)
 *   − (tickers another evaluator holds a live claim on for this bucket)
 *
 * so a ticker is evaluated at most once per bucket, matched or not: a trade
 * after its evaluation waits for the next bucket (a "late update", an alert
 * the Go loop can miss; docs/throttle-decision.md).
 *
 * **lossless**: a ticker is due when it has an eligible trade newer than
 * the one its last evaluation covered (`{STRAT:<id>:LAST}:SEEN`), unless
 * an evaluation already triggered for it in this bucket
 * (`{STRAT:<id>:LAST}:TRIG`). The plan returns, with each ticker, the trade
 * time it covers (`seenMs`); `recordLossless` stores it and the triggered
 * tickers, and writes LAST as the go throttle does, so LAST keeps its meaning
 * for the Go loop. Trades are read from the bucket start, or from the oldest
 * trade a previous claim still owes an evaluation (SEEN's `*` field), so a
 * trade after the last plan of a bucket is evaluated in the next one.
 *
 * A plan of a strategy with a universe is computed on a single server
 * (standalone, Sentinel) by one Lua script, i.e. one round trip and one
 * atomic step however large the universe (every `unpack` is chunked below
 * Lua's ~8000 limit, docs/redis-bullmq.md#chunk-sizes). A global strategy
 * has every TICK:UPD member in scope, a million under a symbol flood: one
 * script over all of them held Redis 3.2–3.5 s (#23), so it is planned in
 * pages of `globalChunk` members, one short script each.
 *
 * Concurrency: the Go loop records LAST only after a successful evaluation,
 * so a failed one is retried next cycle. Marking LAST at plan time would lose
 * that (a crash after planning would silently skip the ticker for the whole
 * bucket). Instead `claim` mode writes a separate claim hash,
 * `STRAT:<id>:CLAIM` (ticker → `<bucket>:<expiresAtMs>:<claimId>`), in the
 * same script that computes the answer, so two evaluators never both receive
 * a ticker for one bucket while its claim is live. Then:
 * - success → `recordEvaluated` (`recordLossless`) writes LAST (and SEEN,
 *   TRIG) and drops the claims;
 * - failure → `release` drops the claims, and the next plan hands the tickers
 *   out again;
 * - crash → the claims expire after `claimTtlMs` (server clock, `TIME`), and
 *   the tickers are handed out again.
 * An evaluation that outlives its claim TTL can overlap with the next
 * claimant: choose the TTL above the worst evaluation time.
 * `preview` mode runs the same computation and writes nothing.
 *
 * LAST is compared byte for byte with `String(bucketStartMs)`, the canonical
 * form both Go's `strconv.FormatInt` and tickpulse write; a missing,
 * different or garbage value means "not evaluated in this bucket".
 */

/** A strategy as the planner needs it. */
export interface PlanStrategy {
  id: number;
  /** True when the strategy has no universe: every ticker is in scope. */
  global: boolean;
}

/** `claim` hands tickers out exclusively; `preview` only reads. */
export type PlanMode = 'claim' | 'preview';

/** `go`: once per bucket, as the Go loop; `lossless`: at every newer trade until triggered. */
export type ThrottleMode = 'go' | 'lossless';

export interface PlanOptions {
  /** Default `preview`. */
  mode?: PlanMode;
  /** Default `go`. */
  throttle?: ThrottleMode;
  /** Lifetime of a claim; default `DEFAULT_CLAIM_TTL_MS`. */
  claimTtlMs?: number;
  /** Identifies the claimant for `recordEvaluated`/`release`; generated when absent. */
  claimId?: string;
}

/** Counts behind a plan, for skip-ratio metrics. */
export interface PlanStats {
  /** Tickers in scope: SCARD of the universe, or ZCARD of TICK:UPD for a global strategy. */
  universe: number;
  /** In-scope tickers updated since the bucket start (lossless: since its horizon). */
  updated: number;
  /** Of those, tickers evaluated already: LAST equals the bucket (lossless: SEEN covers the trade). */
  alreadyEvaluated: number;
  /** Of those, tickers held by another live claim for this bucket. */
  claimedElsewhere: number;
  /** Lossless only: of those, tickers that triggered in this bucket. */
  triggered?: number;
}

export interface PlanResult {
  bucketStartMs: number;
  /** Tickers due (in `claim` mode: now claimed by `claimId`). */
  tickers: string[];
  /** Lossless only: the trade time (Unix ms) each ticker's evaluation covers; pass it to `recordLossless`. */
  seenMs?: number[];
  stats: PlanStats;
  /** Set in `claim` mode. */
  claimId?: string;
  /** Set in `claim` mode: when the claims lapse, by the Redis server clock. */
  claimExpiresAtMs?: number;
}

/** What a lossless evaluation covered: the planned tickers, their `seenMs`, which triggered. */
export interface LosslessRecord {
  tickers: readonly string[];
  /** Parallel to `tickers`: `PlanResult.seenMs`. */
  seenMs: readonly number[];
  /** The tickers (of `tickers`) whose evaluation matched: not due again in this bucket. */
  triggered: readonly string[];
}

export interface ThrottlePlanner {
  /** Tickers due for `strategy` in the bucket starting at `bucketStartMs`. */
  plan(
    strategy: PlanStrategy,
    bucketStartMs: number,
    opts?: PlanOptions,
  ): Promise<PlanResult>;
  /**
   * Marks tickers evaluated in a bucket (HSET LAST to the decimal bucket, as
   * the Go loop's `SetStrategyLastBuckets`) and drops their claims for that
   * bucket (only those held by `claimId`, when given). Returns tickers written.
   */
  recordEvaluated(
    strategyId: number,
    tickers: readonly string[],
    bucketStartMs: number,
    claimId?: string,
  ): Promise<number>;
  /**
   * The lossless record: LAST as `recordEvaluated`, SEEN (only ever
   * forward) and TRIG for the triggered tickers, and the claims dropped.
   */
  recordLossless(
    strategyId: number,
    record: LosslessRecord,
    bucketStartMs: number,
    claimId?: string,
  ): Promise<{ recorded: number; triggered: number }>;
  /** Drops `claimId`'s claims on tickers for a bucket after a failed evaluation; returns how many. */
  release(
    strategyId: number,
    tickers: readonly string[],
    bucketStartMs: number,
    claimId: string,
  ): Promise<number>;
}

/** A claim outlives a crashed evaluator by this long; above the Go loop's 10 s cycle. */
export const DEFAULT_CLAIM_TTL_MS = 60_000;

/** TICK:UPD members per script call when planning a global strategy. */
export const DEFAULT_GLOBAL_PLAN_CHUNK = 5000;

/** Options of `createThrottlePlanner`. */
export interface ThrottlePlannerOptions {
  /**
   * Most TICK:UPD members one script call of a global strategy's plan
   * filters and claims (default `DEFAULT_GLOBAL_PLAN_CHUNK`): what bounds
   * how long one plan can hold Redis, however many members TICK:UPD has.
   */
  globalChunk?: number;
}

/** Values per `unpack`; Lua fails at ~8000 (taskforcesh/bullmq#422). */
export const PLANNER_LUA_CHUNK = 2000;

// Shared by every script: the chunk size and how Redis spells a score.
const LUA_PRELUDE = `
local CHUNK = ${PLANNER_LUA_CHUNK}
-- Redis spells an infinite score 'inf', which tonumber cannot read.
local function num(s)
  if s == 'inf' or s == '+inf' then return math.huge end
  if s == '-inf' then return -math.huge end
  return tonumber(s) or -math.huge
end
local function decimal(n) return string.format('%.0f', n) end
`;

// What is due among `candidates` (parallel `scores`): go drops the tickers
// whose LAST equals the bucket; lossless those triggered in the bucket
// (TRIG) and those whose newest trade its last evaluation covered (SEEN).
// Then the claim step, in the LAST/CLAIM/SEEN/TRIG slot, so this part alone
// also runs on a cluster. Expects candidates, scores, universe, bucket,
// bucketNum, claim, lossless, lastKey, claimKey, seenKey, trigKey, ttl,
// claimId, horizonSet.
const FILTER_AND_CLAIM_LUA = `
local fresh, freshScores, already, triggered = candidates, scores, 0, 0
local hasLast = not lossless and redis.call('EXISTS', lastKey) == 1
local hasSeen = lossless and redis.call('EXISTS', seenKey) == 1
local hasTrig = lossless and redis.call('EXISTS', trigKey) == 1
-- Missing hashes (no history) need no per-ticker reads at all.
if hasLast or hasSeen or hasTrig then
  fresh, freshScores = {}, {}
  for i = 1, #candidates, CHUNK do
    local j = math.min(i + CHUNK - 1, #candidates)
    local last, seen, trig = {}, {}, {}
    if hasLast then last = redis.call('HMGET', lastKey, unpack(candidates, i, j)) end
    if hasSeen then seen = redis.call('HMGET', seenKey, unpack(candidates, i, j)) end
    if hasTrig then trig = redis.call('HMGET', trigKey, unpack(candidates, i, j)) end
    for k = 1, j - i + 1 do
      local n = i + k - 1
      if last[k] == bucket then
        already = already + 1
      elseif trig[k] == bucket then
        triggered = triggered + 1
      elseif seen[k] and num(seen[k]) >= scores[n] then
        already = already + 1
      else
        fresh[#fresh + 1] = candidates[n]
        freshScores[#freshScores + 1] = scores[n]
      end
    end
  end
end

local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expires = nowMs + ttl
local value = bucket .. ':' .. decimal(expires) .. ':' .. claimId
local due, dueScores, elsewhere = fresh, freshScores, 0
local hasClaims = redis.call('EXISTS', claimKey) == 1
if claim or hasClaims then
  due, dueScores = {}, {}
  for i = 1, #fresh, CHUNK do
    local j = math.min(i + CHUNK - 1, #fresh)
    local claims = {}
    if hasClaims then claims = redis.call('HMGET', claimKey, unpack(fresh, i, j)) end
    local writes = {}
    for k = 1, j - i + 1 do
      local ticker = fresh[i + k - 1]
      local c = claims[k]
      local live = false
      if c then
        local cb, ce = string.match(c, '^(-?%d+):(%d+):')
        live = cb == bucket and tonumber(ce) > nowMs
      end
      if live then
        elsewhere = elsewhere + 1
      else
        due[#due + 1] = ticker
        dueScores[#dueScores + 1] = freshScores[i + k - 1]
        writes[#writes + 1] = ticker
        writes[#writes + 1] = value
      end
    end
    if claim and #writes > 0 then redis.call('HSET', claimKey, unpack(writes)) end
  end
end
if claim and #due > 0 then
  -- Only ever lengthen the hash's TTL: a shorter claim must not expire longer ones.
  local pttl = redis.call('PTTL', claimKey)
  if pttl < ttl then redis.call('PEXPIRE', claimKey, ttl) end
end
if claim and lossless then
  -- The next plan reads from the oldest trade still owed an evaluation
  -- (handed out now or held elsewhere; a release makes it due again), else
  -- from this bucket's start: a trade late in the previous bucket is not lost.
  -- A plan in several chunks sets it in its first and only lowers it after.
  local horizon = bucketNum
  for i = 1, #freshScores do
    if freshScores[i] < horizon then horizon = freshScores[i] end
  end
  local cur = not horizonSet and redis.call('HGET', seenKey, '*')
  if horizonSet or not cur or horizon < num(cur) then
    redis.call('HSET', seenKey, '*', decimal(horizon))
  end
end
local seenOut = {}
if lossless then
  for i = 1, #dueScores do seenOut[i] = decimal(dueScores[i]) end
end
return { due, seenOut, { universe, #candidates, already, elsewhere, expires, triggered } }
`;

// KEYS: TICK:UPD, STRAT:<id>:UNIV, LAST, CLAIM, SEEN, TRIG
// ARGV: bucket (decimal), mode ('claim'|'preview'), ttlMs, claimId, throttle ('go'|'lossless')
// A strategy with a universe only: a global one is planned in chunks (below).
// Returns { due tickers, their scores (lossless), { universe, updated, alreadyEvaluated, claimedElsewhere, expiresAtMs, triggered } }
const PLAN_LUA = `
${LUA_PRELUDE}
local bucket = ARGV[1]
local bucketNum = tonumber(bucket)
local claim = ARGV[2] == 'claim'
local ttl = tonumber(ARGV[3])
local claimId = ARGV[4]
local lossless = ARGV[5] == 'lossless'
local horizonSet = true
local lastKey, claimKey, seenKey, trigKey = KEYS[3], KEYS[4], KEYS[5], KEYS[6]

-- Go reads trades of this bucket; lossless from its horizon, when older.
local lo = bucketNum
if lossless then
  local h = redis.call('HGET', seenKey, '*')
  if h and num(h) < lo then lo = num(h) end
end
local loArg = decimal(lo)

local candidates, scores = {}, {}
local universe = redis.call('SCARD', KEYS[2])
if universe > 0 then
  -- Walk the smaller side: updated tickers probed in the set, or set
  -- members probed in the zset.
  if redis.call('ZCOUNT', KEYS[1], loArg, '+inf') <= universe then
    local flat = redis.call('ZRANGE', KEYS[1], loArg, '+inf', 'BYSCORE', 'WITHSCORES')
    local updated, updatedScores = {}, {}
    for i = 1, #flat, 2 do
      updated[#updated + 1] = flat[i]
      updatedScores[#updatedScores + 1] = num(flat[i + 1])
    end
    for i = 1, #updated, CHUNK do
      local j = math.min(i + CHUNK - 1, #updated)
      local flags = redis.call('SMISMEMBER', KEYS[2], unpack(updated, i, j))
      for k = 1, #flags do
        if flags[k] == 1 then
          candidates[#candidates + 1] = updated[i + k - 1]
          scores[#scores + 1] = updatedScores[i + k - 1]
        end
      end
    end
  else
    local members = redis.call('SMEMBERS', KEYS[2])
    for i = 1, #members, CHUNK do
      local j = math.min(i + CHUNK - 1, #members)
      local found = redis.call('ZMSCORE', KEYS[1], unpack(members, i, j))
      for k = 1, #found do
        local s = found[k]
        if s and num(s) >= lo then
          candidates[#candidates + 1] = members[i + k - 1]
          scores[#scores + 1] = num(s)
        end
      end
    end
  end
end

${FILTER_AND_CLAIM_LUA}`;

// Cluster: TICK:UPD and the universe were read by the client (single-key
// commands); this runs the filter and the claim in the LAST slot.
// KEYS: LAST, CLAIM, SEEN, TRIG
// ARGV: bucket, universe size, mode, ttlMs, claimId, throttle, horizon
// ('set' in a plan's first call, 'lower' in its later chunks), then
// (candidate, score) pairs
const CLAIM_LUA = `
${LUA_PRELUDE}
local bucket = ARGV[1]
local bucketNum = tonumber(bucket)
local universe = tonumber(ARGV[2])
local claim = ARGV[3] == 'claim'
local ttl = tonumber(ARGV[4])
local claimId = ARGV[5]
local lossless = ARGV[6] == 'lossless'
local horizonSet = ARGV[7] == 'set'
local lastKey, claimKey, seenKey, trigKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local candidates, scores = {}, {}
for i = 8, #ARGV, 2 do
  candidates[#candidates + 1] = ARGV[i]
  scores[#scores + 1] = num(ARGV[i + 1])
end
${FILTER_AND_CLAIM_LUA}`;

// KEYS: LAST, CLAIM, SEEN, TRIG
// ARGV: bucket, claimId ('' = any claim for the bucket), op ('record'|'release'|'lossless'),
//       then tickers (record, release) or (ticker, seenMs, triggered '1'|'0') triples (lossless)
// Returns { tickers written to LAST (record, lossless) or claims dropped (release), triggered }
const FINISH_LUA = `
${LUA_PRELUDE}
local bucket = ARGV[1]
local claimId = ARGV[2]
local op = ARGV[3]
local stride = 1
if op == 'lossless' then stride = 3 end
local n = (#ARGV - 3) / stride
local written, dropped, triggered = 0, 0, 0
for i = 1, n, CHUNK do
  local j = math.min(i + CHUNK - 1, n)
  local tickers, fields, seenMs, trig = {}, {}, {}, {}
  for k = i, j do
    local at = 3 + (k - 1) * stride
    local ticker = ARGV[at + 1]
    tickers[#tickers + 1] = ticker
    fields[#fields + 1] = ticker
    fields[#fields + 1] = bucket
    if stride == 3 then
      seenMs[#seenMs + 1] = ARGV[at + 2]
      if ARGV[at + 3] == '1' then
        trig[#trig + 1] = ticker
        trig[#trig + 1] = bucket
      end
    end
  end
  if op ~= 'release' then
    redis.call('HSET', KEYS[1], unpack(fields))
    written = written + #tickers
  end
  if op == 'lossless' then
    -- SEEN only moves forward: of two evaluators finishing out of order,
    -- the one that saw the newer trade wins.
    local cur = redis.call('HMGET', KEYS[3], unpack(tickers))
    local newer = {}
    for k = 1, #tickers do
      if not cur[k] or num(cur[k]) < num(seenMs[k]) then
        newer[#newer + 1] = tickers[k]
        newer[#newer + 1] = seenMs[k]
      end
    end
    if #newer > 0 then redis.call('HSET', KEYS[3], unpack(newer)) end
    if #trig > 0 then
      redis.call('HSET', KEYS[4], unpack(trig))
      triggered = triggered + #trig / 2
    end
  end
  local claims = redis.call('HMGET', KEYS[2], unpack(tickers))
  local drop = {}
  for k = 1, #tickers do
    local c = claims[k]
    if c then
      local cb, cid = string.match(c, '^(-?%d+):%d+:(.*)$')
      if cb == bucket and (claimId == '' or cid == claimId) then
        drop[#drop + 1] = tickers[k]
      end
    end
  end
  if #drop > 0 then dropped = dropped + redis.call('HDEL', KEYS[2], unpack(drop)) end
end
if op == 'release' then return { dropped, 0 } end
return { written, triggered }
`;

type PlanReply = [
  string[],
  string[],
  [number, number, number, number, number, number],
];

interface PlannerCommands {
  tickpulsePlan(
    tickUpd: string,
    univ: string,
    last: string,
    claim: string,
    seen: string,
    trig: string,
    bucket: string,
    mode: string,
    ttlMs: string,
    claimId: string,
    throttle: string,
  ): Promise<PlanReply>;
  tickpulseClaim(
    last: string,
    claim: string,
    seen: string,
    trig: string,
    bucket: string,
    universe: string,
    mode: string,
    ttlMs: string,
    claimId: string,
    throttle: string,
    horizon: 'set' | 'lower',
    ...candidatesAndScores: string[]
  ): Promise<PlanReply>;
  tickpulseFinish(
    last: string,
    claim: string,
    seen: string,
    trig: string,
    bucket: string,
    claimId: string,
    op: 'record' | 'release' | 'lossless',
    ...args: string[]
  ): Promise<[number, number]>;
}

/**
 * Creates the planner over one Redis connection. The scripts are registered
 * with `defineCommand` (EVALSHA, falling back to EVAL after a script flush).
 * Every key is passed as KEYS.
 *
 * On Redis Cluster `TICK:UPD`, `STRAT:<id>:UNIV` and `STRAT:<id>:LAST` sit in
 * different slots, so no script may name them together. There the candidates
 * (updated since the bucket ∩ universe) are read with single-key commands
 * (ZRANGE BYSCORE + SMISMEMBER, or SMEMBERS + ZMSCORE, in chunks), and one
 * script in the LAST slot (CLAIM, SEEN and TRIG share it) filters and claims
 * them. The claim keeps its guarantee (no two evaluators get a ticker for
 * one bucket while a claim is live); what is lost is the single snapshot: a
 * ticker whose trade lands between the read and the claim is planned on the
 * next cycle instead.
 */
export function createThrottlePlanner(
  redis: RedisClient,
  keys: RedisKeys,
  opts: ThrottlePlannerOptions = {},
): ThrottlePlanner {
  const globalChunk = opts.globalChunk ?? DEFAULT_GLOBAL_PLAN_CHUNK;
  if (!Number.isSafeInteger(globalChunk) || globalChunk < 1) {
    throw new RangeError(
      `globalChunk must be a positive integer, got ${globalChunk}`,
    );
  }
  redis.defineCommand('tickpulsePlan', { numberOfKeys: 6, lua: PLAN_LUA });
  redis.defineCommand('tickpulseClaim', { numberOfKeys: 4, lua: CLAIM_LUA });
  redis.defineCommand('tickpulseFinish', { numberOfKeys: 4, lua: FINISH_LUA });
  const cluster = isCluster(redis);
  const cmd = redis as unknown as PlannerCommands;
  /** LAST and the tickpulse hashes in its slot. */
  const slotKeys = (id: number) =>
    [
      keys.stratLast(id),
      keys.stratClaim(id),
      keys.stratSeen(id),
      keys.stratTriggered(id),
    ] as const;

  /** Cluster: a universe's tickers with a trade at or after `from`, and their scores, by single-key reads. */
  async function candidatesOf(
    strategy: PlanStrategy,
    from: string,
  ): Promise<{ universe: number; pairs: string[] }> {
    const tickKey = keys.tickUpd();
    const univKey = keys.stratUniv(strategy.id);
    const [universe, updatedCount] = await Promise.all([
      redis.scard(univKey),
      redis.zcount(tickKey, from, '+inf'),
    ]);
    if (universe === 0 || updatedCount === 0) return { universe, pairs: [] };
    const pairs: string[] = [];
    // Walk the smaller side, as the single-server script does.
    if (updatedCount <= universe) {
      const flat = await redis.zrange(
        tickKey,
        from,
        '+inf',
        'BYSCORE',
        'WITHSCORES',
      );
      const updated = flat.filter((_, i) => i % 2 === 0);
      const flags = await Promise.all(
        chunks(updated).map(c => redis.smismember(univKey, ...c)),
      );
      flags
        .flat()
        .forEach(
          (f, i) => f === 1 && pairs.push(updated[i]!, flat[2 * i + 1]!),
        );
    } else {
      const members = await redis.smembers(univKey);
      const scores = await Promise.all(
        chunks(members).map(c => redis.zmscore(tickKey, ...c)),
      );
      const lo = Number(from);
      scores.flat().forEach((sc, i) => {
        if (sc !== null && parseScore(sc) >= lo) pairs.push(members[i]!, sc);
      });
    }
    return { universe, pairs };
  }

  /**
   * A global strategy, on every topology: TICK:UPD from its first member at
   * or after `from`, in pages of `globalChunk` by rank, each page filtered
   * and claimed by its own script call in the LAST slot. Like the cluster
   * path it gives up the single snapshot: a ticker that trades between two
   * pages moves to the end and is met again (skipped: `planned`), and the
   * one it pushed back a rank may wait for the next plan; none is handed
   * out twice in a bucket.
   */
  async function planGlobal(
    id: number,
    bucketStartMs: number,
    throttle: ThrottleMode,
    args: readonly [string, string, string, string],
  ): Promise<PlanReply> {
    const tickKey = keys.tickUpd();
    const bucket = String(bucketStartMs);
    const from =
      throttle === 'lossless' ? await losslessFrom(id, bucketStartMs) : bucket;
    const lo = Number(from);
    const [universe, below] = await Promise.all([
      redis.zcard(tickKey),
      redis.zcount(tickKey, '-inf', `(${from}`),
    ]);
    const due: string[] = [];
    const seen: string[] = [];
    const total: PlanReply[2] = [universe, 0, 0, 0, Infinity, 0];
    const planned = new Set<string>();
    let rank = below;
    for (let page = 0; ; page++) {
      const flat = await redis.zrange(
        tickKey,
        String(rank),
        String(rank + globalChunk - 1),
        'WITHSCORES',
      );
      rank += flat.length / 2;
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const [t, sc] = [flat[i]!, flat[i + 1]!];
        if (parseScore(sc) < lo || planned.has(t)) continue;
        planned.add(t);
        pairs.push(t, sc);
      }
      const [tickers, seenMs, st] = await cmd.tickpulseClaim(
        ...slotKeys(id),
        bucket,
        String(universe),
        ...args,
        page === 0 ? 'set' : 'lower',
        ...pairs,
      );
      for (const t of tickers) due.push(t);
      for (const ms of seenMs) seen.push(ms);
      for (const k of [1, 2, 3, 5] as const) total[k] += st[k];
      total[4] = Math.min(total[4], st[4]);
      if (flat.length < 2 * globalChunk) return [due, seen, total];
    }
  }

  /** Cluster: where a lossless plan starts reading trades (SEEN's `*`, when older than the bucket). */
  async function losslessFrom(id: number, bucket: number): Promise<string> {
    // No horizon yet reads from the bucket start (Number(null) would be 0).
    const raw = await redis.hget(keys.stratSeen(id), '*');
    const h = raw === null ? NaN : Number(raw);
    return String(Number.isSafeInteger(h) && h < bucket ? h : bucket);
  }

  const checkTickers = (tickers: readonly string[]) => {
    for (const t of tickers) {
      if (typeof t !== 'string' || t === '') {
        throw new TypeError('tickers must be non-empty strings');
      }
    }
  };

  /**
   * Record or release: LAST written and/or claims dropped. Bad arguments
   * throw before any promise exists, as a caller's bug should.
   */
  const finish = (
    op: 'record' | 'release',
    strategyId: number,
    tickers: readonly string[],
    bucketStartMs: number,
    claimId: string,
  ): Promise<number> => {
    checkBucket(bucketStartMs);
    checkTickers(tickers);
    if (tickers.length === 0) return Promise.resolve(0);
    return cmd
      .tickpulseFinish(
        ...slotKeys(strategyId),
        String(bucketStartMs),
        claimId,
        op,
        ...tickers,
      )
      .then(([n]) => n);
  };

  return {
    async plan(strategy, bucketStartMs, opts = {}) {
      checkBucket(bucketStartMs);
      const mode = opts.mode ?? 'preview';
      const throttle = opts.throttle ?? 'go';
      if (throttle !== 'go' && throttle !== 'lossless') {
        throw new RangeError(
          `throttle must be "go" or "lossless", got ${String(throttle)}`,
        );
      }
      const ttl = opts.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS;
      if (!Number.isSafeInteger(ttl) || ttl <= 0) {
        throw new RangeError(
          `claimTtlMs must be a positive integer, got ${ttl}`,
        );
      }
      const claimId = opts.claimId ?? randomUUID();
      if (!/^[\w.-]{1,128}$/.test(claimId)) {
        throw new RangeError(
          'claimId must be 1–128 characters of [A-Za-z0-9_.-]',
        );
      }
      const bucket = String(bucketStartMs);
      const args = [mode, String(ttl), claimId, throttle] as const;
      let reply: PlanReply;
      if (strategy.global) {
        reply = await planGlobal(strategy.id, bucketStartMs, throttle, args);
      } else if (cluster) {
        const from =
          throttle === 'lossless'
            ? await losslessFrom(strategy.id, bucketStartMs)
            : bucket;
        const c = await candidatesOf(strategy, from);
        reply = await cmd.tickpulseClaim(
          ...slotKeys(strategy.id),
          bucket,
          String(c.universe),
          ...args,
          'set',
          ...c.pairs,
        );
      } else {
        reply = await cmd.tickpulsePlan(
          keys.tickUpd(),
          keys.stratUniv(strategy.id),
          ...slotKeys(strategy.id),
          bucket,
          ...args,
        );
      }
      const [
        tickers,
        seen,
        [universe, updated, alreadyEvaluated, claimedElsewhere, expires, trig],
      ] = reply;
      const stats: PlanStats = {
        universe,
        updated,
        alreadyEvaluated,
        claimedElsewhere,
      };
      const result: PlanResult = { bucketStartMs, tickers, stats };
      if (throttle === 'lossless') {
        stats.triggered = trig;
        result.seenMs = seen.map(Number);
      }
      if (mode === 'claim') {
        result.claimId = claimId;
        result.claimExpiresAtMs = Number(expires);
      }
      return result;
    },

    recordEvaluated: (strategyId, tickers, bucketStartMs, claimId = '') =>
      finish('record', strategyId, tickers, bucketStartMs, claimId),

    async recordLossless(strategyId, record, bucketStartMs, claimId = '') {
      checkBucket(bucketStartMs);
      const { tickers, seenMs, triggered } = record;
      checkTickers(tickers);
      if (seenMs.length !== tickers.length) {
        throw new RangeError(
          `seenMs must have one entry per ticker (${tickers.length}), got ${seenMs.length}`,
        );
      }
      const bad = seenMs.findIndex(ms => !Number.isSafeInteger(ms));
      if (bad >= 0) {
        throw new RangeError(
          `seenMs[${bad}] must be an integer number of ms, got ${seenMs[bad]}`,
        );
      }
      const hit = new Set(triggered);
      for (const t of tickers) hit.delete(t);
      if (hit.size > 0) {
        throw new RangeError(
          `triggered must be a subset of tickers; not planned: ${[...hit].slice(0, 5).join(', ')}`,
        );
      }
      if (tickers.length === 0) return { recorded: 0, triggered: 0 };
      const fired = new Set(triggered);
      const triples = tickers.flatMap((t, i) => [
        t,
        String(seenMs[i]),
        fired.has(t) ? '1' : '0',
      ]);
      const [recorded, trig] = await cmd.tickpulseFinish(
        ...slotKeys(strategyId),
        String(bucketStartMs),
        claimId,
        'lossless',
        ...triples,
      );
      return { recorded, triggered: trig };
    },

    release(strategyId, tickers, bucketStartMs, claimId) {
      if (!claimId) throw new RangeError('release needs the claimId');
      return finish('release', strategyId, tickers, bucketStartMs, claimId);
    },
  };
}

function chunks(items: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < items.length; i += PLANNER_LUA_CHUNK)
    out.push(items.slice(i, i + PLANNER_LUA_CHUNK));
  return out;
}

/** A ZSET score as Redis prints it (`inf`/`-inf` for the infinities). */
function parseScore(score: string): number {
  if (score === 'inf' || score === '+inf') return Infinity;
  if (score === '-inf') return -Infinity;
  return Number(score);
}

function checkBucket(bucketStartMs: number): void {
  if (!Number.isSafeInteger(bucketStartMs)) {
    throw new RangeError(
      `bucketStartMs must be an integer number of ms, got ${bucketStartMs}`,
    );
  }
}
