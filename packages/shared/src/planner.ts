import { randomUUID } from 'node:crypto';
import { isCluster, type RedisClient } from './redis.js';
import type { RedisKeys } from './keys.js';

/**
 * The per-ticker throttle planner (docs/go-backend.md#per-ticker-throttle-loop): for a
 * strategy and a bucket, the tickers due for evaluation are
 *
 *   (TICK:UPD members with score ≥ bucket start)
 *   ∩ (STRAT:<id>:UNIV, or every ticker for a global strategy)
 *   − (tickers whose STRAT:<id>:LAST field equals the bucket's decimal string)
 *   − (tickers another evaluator holds a live claim on for this bucket)
 *
 * computed on a single server (standalone, Sentinel) by one Lua script, i.e. one round trip and one atomic step
 * however large the universe (every `unpack` is chunked below Lua's ~8000
 * limit, docs/redis-bullmq.md#chunk-sizes).
 *
 * Concurrency: the Go loop records LAST only after a successful evaluation,
 * so a failed one is retried next cycle. Marking LAST at plan time would lose
 * that (a crash after planning would silently skip the ticker for the whole
 * bucket). Instead `claim` mode writes a separate claim hash,
 * `STRAT:<id>:CLAIM` (ticker → `<bucket>:<expiresAtMs>:<claimId>`), in the
 * same script that computes the answer, so two evaluators never both receive
 * a ticker for one bucket while its claim is live. Then:
 * - success → `recordEvaluated` writes LAST (exactly what the Go loop writes)
 *   and drops the claims;
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

export interface PlanOptions {
  /** Default `preview`. */
  mode?: PlanMode;
  /** Lifetime of a claim; default `DEFAULT_CLAIM_TTL_MS`. */
  claimTtlMs?: number;
  /** Identifies the claimant for `recordEvaluated`/`release`; generated when absent. */
  claimId?: string;
}

/** Counts behind a plan, for skip-ratio metrics. */
export interface PlanStats {
  /** Tickers in scope: SCARD of the universe, or ZCARD of TICK:UPD for a global strategy. */
  universe: number;
  /** In-scope tickers updated since the bucket start. */
  updated: number;
  /** Of those, tickers whose LAST already equals the bucket. */
  alreadyEvaluated: number;
  /** Of those, tickers held by another live claim for this bucket. */
  claimedElsewhere: number;
}

export interface PlanResult {
  bucketStartMs: number;
  /** Tickers due (in `claim` mode: now claimed by `claimId`). */
  tickers: string[];
  stats: PlanStats;
  /** Set in `claim` mode. */
  claimId?: string;
  /** Set in `claim` mode: when the claims lapse, by the Redis server clock. */
  claimExpiresAtMs?: number;
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

/** Values per `unpack`; Lua fails at ~8000 (taskforcesh/bullmq#422). */
export const PLANNER_LUA_CHUNK = 2000;

// The LAST filter and the claim: both keys in one slot (the CLAIM key
// takes LAST's name as hash tag), so this part alone also runs on a
// cluster. Expects candidates, universe, bucket, bucketNum, claim, lastKey,
// claimKey; ARGV[4] ttlMs, ARGV[5] claimId.
const FILTER_AND_CLAIM_LUA = `
local fresh, already = candidates, 0
-- A missing hash (no history, no claims) needs no per-ticker reads at all.
if redis.call('EXISTS', lastKey) == 1 then
  fresh = {}
  for i = 1, #candidates, CHUNK do
    local j = math.min(i + CHUNK - 1, #candidates)
    local last = redis.call('HMGET', lastKey, unpack(candidates, i, j))
    for k = 1, j - i + 1 do
      if last[k] == bucket then
        already = already + 1
      else
        fresh[#fresh + 1] = candidates[i + k - 1]
      end
    end
  end
end

local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[4])
local expires = nowMs + ttl
local value = bucket .. ':' .. string.format('%.0f', expires) .. ':' .. ARGV[5]
local due, elsewhere = fresh, 0
local hasClaims = redis.call('EXISTS', claimKey) == 1
if claim or hasClaims then
  due = {}
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
return { due, { universe, #candidates, already, elsewhere, expires } }
`;

// KEYS: TICK:UPD, STRAT:<id>:UNIV, STRAT:<id>:LAST, STRAT:<id>:CLAIM
// ARGV: bucket (decimal), global ('1'|'0'), mode ('claim'|'preview'), ttlMs, claimId
// Returns { due tickers, { universe, updated, alreadyEvaluated, claimedElsewhere, expiresAtMs } }
const PLAN_LUA = `
local CHUNK = ${PLANNER_LUA_CHUNK}
local bucket = ARGV[1]
local bucketNum = tonumber(bucket)
local claim = ARGV[3] == 'claim'
local lastKey, claimKey = KEYS[3], KEYS[4]

local candidates = {}
local universe
if ARGV[2] == '1' then
  universe = redis.call('ZCARD', KEYS[1])
  candidates = redis.call('ZRANGE', KEYS[1], bucket, '+inf', 'BYSCORE')
else
  universe = redis.call('SCARD', KEYS[2])
  if universe > 0 then
    -- Walk the smaller side: updated tickers probed in the set, or set
    -- members probed in the zset.
    if redis.call('ZCOUNT', KEYS[1], bucket, '+inf') <= universe then
      local updated = redis.call('ZRANGE', KEYS[1], bucket, '+inf', 'BYSCORE')
      for i = 1, #updated, CHUNK do
        local j = math.min(i + CHUNK - 1, #updated)
        local flags = redis.call('SMISMEMBER', KEYS[2], unpack(updated, i, j))
        for k = 1, #flags do
          if flags[k] == 1 then candidates[#candidates + 1] = updated[i + k - 1] end
        end
      end
    else
      local members = redis.call('SMEMBERS', KEYS[2])
      for i = 1, #members, CHUNK do
        local j = math.min(i + CHUNK - 1, #members)
        local scores = redis.call('ZMSCORE', KEYS[1], unpack(members, i, j))
        for k = 1, #scores do
          local s = scores[k]
          -- Redis spells an infinite score 'inf', which tonumber cannot read.
          if s and (tonumber(s) or (s == 'inf' and math.huge) or -math.huge) >= bucketNum then
            candidates[#candidates + 1] = members[i + k - 1]
          end
        end
      end
    end
  end
end

${FILTER_AND_CLAIM_LUA}`;

// Cluster: TICK:UPD and the universe were read by the client (single-key
// commands); this runs the LAST filter and the claim in the LAST/CLAIM slot.
// KEYS: STRAT:<id>:LAST, STRAT:<id>:CLAIM
// ARGV: bucket, universe size, mode, ttlMs, claimId, candidates…
const CLAIM_LUA = `
local CHUNK = ${PLANNER_LUA_CHUNK}
local bucket = ARGV[1]
local universe = tonumber(ARGV[2])
local claim = ARGV[3] == 'claim'
local lastKey, claimKey = KEYS[1], KEYS[2]
local candidates = {}
for i = 6, #ARGV do candidates[#candidates + 1] = ARGV[i] end
${FILTER_AND_CLAIM_LUA}`;

// KEYS: STRAT:<id>:LAST, STRAT:<id>:CLAIM
// ARGV: bucket, claimId ('' = any claim for the bucket), record ('1'|'0'), tickers…
// Returns tickers written to LAST (record) or claims dropped (release).
const FINISH_LUA = `
local CHUNK = ${PLANNER_LUA_CHUNK}
local bucket = ARGV[1]
local claimId = ARGV[2]
local record = ARGV[3] == '1'
local n = #ARGV - 3
local written, dropped = 0, 0
for i = 1, n, CHUNK do
  local j = math.min(i + CHUNK - 1, n)
  local tickers, fields = {}, {}
  for k = i, j do
    local ticker = ARGV[k + 3]
    tickers[#tickers + 1] = ticker
    fields[#fields + 1] = ticker
    fields[#fields + 1] = bucket
  end
  if record then
    redis.call('HSET', KEYS[1], unpack(fields))
    written = written + #tickers
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
if record then return written end
return dropped
`;

type PlanReply = [string[], [number, number, number, number, number]];

interface PlannerCommands {
  tickpulsePlan(
    tickUpd: string,
    univ: string,
    last: string,
    claim: string,
    bucket: string,
    global: string,
    mode: string,
    ttlMs: string,
    claimId: string,
  ): Promise<PlanReply>;
  tickpulseClaim(
    last: string,
    claim: string,
    bucket: string,
    universe: string,
    mode: string,
    ttlMs: string,
    claimId: string,
    ...candidates: string[]
  ): Promise<PlanReply>;
  tickpulseFinish(
    last: string,
    claim: string,
    bucket: string,
    claimId: string,
    record: string,
    ...tickers: string[]
  ): Promise<number>;
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
 * script in the LAST/CLAIM slot filters and claims them. The claim keeps its
 * guarantee (no two evaluators get a ticker for one bucket while a claim is
 * live); what is lost is the single snapshot: a ticker whose trade lands
 * between the read and the claim is planned on the next cycle instead.
 */
export function createThrottlePlanner(
  redis: RedisClient,
  keys: RedisKeys,
): ThrottlePlanner {
  redis.defineCommand('tickpulsePlan', { numberOfKeys: 4, lua: PLAN_LUA });
  redis.defineCommand('tickpulseClaim', { numberOfKeys: 2, lua: CLAIM_LUA });
  redis.defineCommand('tickpulseFinish', { numberOfKeys: 2, lua: FINISH_LUA });
  const cluster = isCluster(redis);

  /** Cluster: in-scope tickers updated since the bucket, by single-key reads. */
  async function candidatesOf(
    strategy: PlanStrategy,
    bucket: string,
  ): Promise<{ universe: number; candidates: string[] }> {
    const tickKey = keys.tickUpd();
    if (strategy.global) {
      const [universe, candidates] = await Promise.all([
        redis.zcard(tickKey),
        redis.zrange(tickKey, bucket, '+inf', 'BYSCORE'),
      ]);
      return { universe, candidates };
    }
    const univKey = keys.stratUniv(strategy.id);
    const [universe, updatedCount] = await Promise.all([
      redis.scard(univKey),
      redis.zcount(tickKey, bucket, '+inf'),
    ]);
    if (universe === 0 || updatedCount === 0)
      return { universe, candidates: [] };
    const candidates: string[] = [];
    // Walk the smaller side, as the single-server script does.
    if (updatedCount <= universe) {
      const updated = await redis.zrange(tickKey, bucket, '+inf', 'BYSCORE');
      const flags = await Promise.all(
        chunks(updated).map(c => redis.smismember(univKey, ...c)),
      );
      flags.flat().forEach((f, i) => f === 1 && candidates.push(updated[i]!));
    } else {
      const members = await redis.smembers(univKey);
      const scores = await Promise.all(
        chunks(members).map(c => redis.zmscore(tickKey, ...c)),
      );
      const from = Number(bucket);
      scores.flat().forEach((sc, i) => {
        if (sc !== null && parseScore(sc) >= from) candidates.push(members[i]!);
      });
    }
    return { universe, candidates };
  }
  const cmd = redis as unknown as PlannerCommands;

  const finish = (
    strategyId: number,
    tickers: readonly string[],
    bucketStartMs: number,
    claimId: string,
    record: boolean,
  ) => {
    checkBucket(bucketStartMs);
    const last = keys.stratLast(strategyId);
    const claimKey = keys.stratClaim(strategyId);
    if (tickers.length === 0) return Promise.resolve(0);
    for (const t of tickers) {
      if (typeof t !== 'string' || t === '') {
        throw new TypeError('tickers must be non-empty strings');
      }
    }
    return cmd.tickpulseFinish(
      last,
      claimKey,
      String(bucketStartMs),
      claimId,
      record ? '1' : '0',
      ...tickers,
    );
  };

  return {
    async plan(strategy, bucketStartMs, opts = {}) {
      checkBucket(bucketStartMs);
      const mode = opts.mode ?? 'preview';
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
      const [
        tickers,
        [universe, updated, alreadyEvaluated, claimedElsewhere, expires],
      ] = cluster
        ? await candidatesOf(strategy, String(bucketStartMs)).then(c =>
            cmd.tickpulseClaim(
              keys.stratLast(strategy.id),
              keys.stratClaim(strategy.id),
              String(bucketStartMs),
              String(c.universe),
              mode,
              String(ttl),
              claimId,
              ...c.candidates,
            ),
          )
        : await cmd.tickpulsePlan(
            keys.tickUpd(),
            keys.stratUniv(strategy.id),
            keys.stratLast(strategy.id),
            keys.stratClaim(strategy.id),
            String(bucketStartMs),
            strategy.global ? '1' : '0',
            mode,
            String(ttl),
            claimId,
          );
      const result: PlanResult = {
        bucketStartMs,
        tickers,
        stats: { universe, updated, alreadyEvaluated, claimedElsewhere },
      };
      if (mode === 'claim') {
        result.claimId = claimId;
        result.claimExpiresAtMs = Number(expires);
      }
      return result;
    },

    recordEvaluated: (strategyId, tickers, bucketStartMs, claimId = '') =>
      finish(strategyId, tickers, bucketStartMs, claimId, true),

    release: (strategyId, tickers, bucketStartMs, claimId) => {
      if (!claimId) throw new RangeError('release needs the claimId');
      return finish(strategyId, tickers, bucketStartMs, claimId, false);
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
