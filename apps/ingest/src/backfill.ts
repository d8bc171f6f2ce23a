import {
  checkConditions,
  nsToMillis,
  type ConditionPolicy,
  type TimestampBounds,
} from '@tickpulse/polygon';
import { isNormalizedTicker } from '@tickpulse/shared';
import {
  RestAuthError,
  RestBudgetError,
  RestRequestError,
  SNAPSHOT_PATH,
  type RequestBudget,
  type RestClient,
} from './rest-client.js';

/** How a backfill ended (a bounded metric label). */
export type BackfillOutcome =
  /** Every ticker that printed in the gap was looked at. */
  | 'healed'
  /** The snapshot was applied, but the budget ran out or some lookups failed. */
  | 'partial'
  /** The snapshot could not be read: nothing healed. */
  | 'failed'
  /** 401/403: this key cannot backfill. */
  | 'unauthorized'
  /** Stopped (shutdown or lost leadership). */
  | 'aborted';

/** What one backfill did. */
export interface BackfillResult {
  outcome: BackfillOutcome;
  /** Tickers whose tick came from the snapshot's `lastTrade`. */
  fromSnapshot: number;
  /** Tickers whose tick came from `/v3/trades`. */
  fromTrades: number;
  /** Tickers looked up in `/v3/trades` (last print in the gap but not eligible). */
  lookedUp: number;
  /** Lookups not done or failed (budget, errors). */
  unresolved: number;
  /** HTTP attempts sent. */
  requests: number;
  /** Snapshot entries or trade rows skipped as malformed or out of bounds. */
  invalid: number;
  /**
   * Why the snapshot could not be read (outcome `failed`), e.g. a body past
   * its bound: `Polygon REST snapshot failed (last: too_large)`; or why the
   * run stopped short (`partial`): its deadline, a `next_url` loop.
   */
  error?: string;
}

/** Pages of `/v3/trades` one ticker's lookup may read before it gives up. */
export const MAX_PAGES_PER_LOOKUP = 20;

/** A ticker whose last print is in the gap but not eligible. */
export interface Lookup {
  ticker: string;
  /** Its last print's SIP time (ns digits): the upper bound of the search. */
  lastNs: string;
}

/** The snapshot's verdict: ticks to add now, tickers to look up. */
export interface SnapshotPlan {
  ticks: Map<string, number>;
  /** How many of `ticks` are at or after the gap start (the rest are older confirmations). */
  inGap: number;
  lookups: Lookup[];
  invalid: number;
}

type Ctx = { policy: ConditionPolicy; bounds: TimestampBounds; nowMs: number };

/** A print time in bounds (ms), or NaN: the same rules as streamed trades. */
function boundedMs(ns: unknown, ctx: Ctx): number {
  const ms = nsToMillis(ns);
  if (
    ms !== ms ||
    ms > ctx.nowMs + ctx.bounds.futureToleranceMs ||
    ms < ctx.nowMs - ctx.bounds.maxAgeMs
  )
    return NaN;
  return ms;
}

function conditionsOf(c: unknown): number[] | undefined | null {
  if (c === undefined || c === null) return undefined;
  if (Array.isArray(c) && c.every(x => Number.isInteger(x) && x >= 0))
    return c as number[];
  return null;
}

/**
 * Reads a full-market snapshot body: each ticker whose `lastTrade` is
 * eligible under the policy becomes a tick, whatever its time — an
 * off-exchange print reported minutes late can arrive during the gap with a
 * time before it, and a print the stream already delivered changes nothing
 * under `ZADD GT`. A ticker whose last print is in the gap but not eligible
 * needs a `/v3/trades` lookup; an ineligible last print before the gap
 * start means the ticker did not trade in it.
 */
export function planFromSnapshot(
  body: Record<string, unknown>,
  gapStartMs: number,
  ctx: Ctx,
): SnapshotPlan {
  const ticks = new Map<string, number>();
  const lookups: Lookup[] = [];
  let invalid = 0;
  let inGap = 0;
  const list = Array.isArray(body.tickers) ? body.tickers : [];
  if (!Array.isArray(body.tickers)) invalid++;
  for (const entry of list) {
    const e = entry as {
      ticker?: unknown;
      lastTrade?: { t?: unknown; c?: unknown };
    };
    const trade = e?.lastTrade;
    if (trade === undefined || trade === null) continue;
    const ticker = e.ticker;
    const ms = boundedMs(trade.t, ctx);
    const conds = conditionsOf(trade.c);
    if (
      typeof ticker !== 'string' ||
      !isNormalizedTicker(ticker) ||
      ms !== ms ||
      conds === null
    ) {
      invalid++;
      continue;
    }
    if (checkConditions(ctx.policy, conds).excludedBy < 0) {
      ticks.set(ticker, ms);
      if (ms >= gapStartMs) inGap++;
    } else if (ms >= gapStartMs)
      lookups.push({ ticker, lastNs: trade.t as string });
  }
  return { ticks, inGap, lookups, invalid };
}

/**
 * The newest eligible print of one `/v3/trades` page (rows newest first), in
 * ms, or undefined when the page has none; counts malformed rows.
 */
export function newestEligible(
  rows: unknown,
  ctx: Ctx,
): { ms: number | undefined; invalid: number } {
  let invalid = 0;
  if (!Array.isArray(rows)) return { ms: undefined, invalid: 1 };
  let best: number | undefined;
  for (const row of rows) {
    const r = row as { sip_timestamp?: unknown; conditions?: unknown };
    const ms = boundedMs(r?.sip_timestamp, ctx);
    const conds = conditionsOf(r?.conditions);
    if (ms !== ms || conds === null) {
      invalid++;
      continue;
    }
    // Rows are newest first, but a late print can make the page not
    // strictly ordered by time: take the maximum of the eligible ones.
    if (
      checkConditions(ctx.policy, conds).excludedBy < 0 &&
      (best === undefined || ms > best)
    )
      best = ms;
  }
  return { ms: best, invalid };
}

/** Dependencies of one backfill run. */
export interface BackfillDeps {
  rest: RestClient;
  policy: ConditionPolicy;
  bounds: TimestampBounds;
  /** Lookups in flight at once. */
  concurrency: number;
  /** Rows per `/v3/trades` page asked for. */
  pageLimit: number;
  /** HTTP attempts this gap may send. */
  budget: number;
  /** The whole run's time: past it, lookups stop and the run is `partial`. */
  deadlineMs: number;
  /** Receives every healed tick (the coalescer: merged by max with streamed ones). */
  add: (ticker: string, ms: number) => void;
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * Heals one gap that began at `gapStartMs`: one full-market snapshot, then,
 * for tickers whose last print is in the gap but not eligible,
 * `/v3/trades/{ticker}` newest first between the gap start and that print,
 * following `next_url` until the newest eligible print (or none). Ticks go to
 * `add` as soon as they are known, so a partial run still heals what it found.
 */
export async function runBackfill(
  gapStartMs: number,
  deps: BackfillDeps,
): Promise<BackfillResult> {
  const budget: RequestBudget = { remaining: deps.budget };
  const result: BackfillResult = {
    outcome: 'healed',
    fromSnapshot: 0,
    fromTrades: 0,
    lookedUp: 0,
    unresolved: 0,
    requests: 0,
    invalid: 0,
  };
  const ctx = (): Ctx => ({
    policy: deps.policy,
    bounds: deps.bounds,
    nowMs: (deps.now ?? Date.now)(),
  });
  const done = (outcome: BackfillOutcome) => {
    result.requests = deps.budget - budget.remaining;
    result.outcome = outcome;
    return result;
  };
  // Slow answers within each request's timeout, times many lookups, must
  // not hold the healer for hours: one deadline for the whole run.
  const deadline = AbortSignal.timeout(deps.deadlineMs);
  const signal = deps.signal
    ? AbortSignal.any([deps.signal, deadline])
    : deadline;
  const failure = (err: unknown): BackfillOutcome | undefined => {
    if (deps.signal?.aborted) return 'aborted';
    if (deadline.aborted) {
      result.error ??= `deadline of ${deps.deadlineMs} ms passed`;
      return 'partial';
    }
    if (err instanceof RestAuthError) return 'unauthorized';
    return undefined;
  };

  let plan: SnapshotPlan;
  try {
    const body = await deps.rest.get('snapshot', SNAPSHOT_PATH, budget, signal);
    plan = planFromSnapshot(body, gapStartMs, ctx());
  } catch (err) {
    const outcome = failure(err);
    if (outcome) return done(outcome);
    result.error = err instanceof Error ? err.message : String(err);
    return done('failed');
  }
  for (const [ticker, ms] of plan.ticks) deps.add(ticker, ms);
  result.fromSnapshot = plan.inGap;
  result.invalid = plan.invalid;
  result.lookedUp = plan.lookups.length;

  const gte = (BigInt(Math.floor(gapStartMs)) * 1_000_000n).toString();
  let stop: BackfillOutcome | undefined;
  let next = 0;
  const lookup = async (l: Lookup) => {
    let path: string | undefined =
      `/v3/trades/${encodeURIComponent(l.ticker)}?order=desc&sort=timestamp` +
      `&limit=${deps.pageLimit}&timestamp.gte=${gte}&timestamp.lte=${l.lastNs}`;
    const fetched = new Set<string>();
    while (path) {
      // A next_url that leads back, or never ends, is a broken peer.
      if (fetched.has(path) || fetched.size >= MAX_PAGES_PER_LOOKUP)
        throw new RestRequestError(
          'trades',
          fetched.has(path) ? 'next_url_loop' : 'too_many_pages',
        );
      fetched.add(path);
      const body = await deps.rest.get('trades', path, budget, signal);
      const found = newestEligible(body.results, ctx());
      result.invalid += found.invalid;
      if (found.ms !== undefined) {
        deps.add(l.ticker, found.ms);
        result.fromTrades++;
        return;
      }
      path = typeof body.next_url === 'string' ? body.next_url : undefined;
    }
  };
  const worker = async () => {
    while (stop === undefined && next < plan.lookups.length) {
      const l = plan.lookups[next++]!;
      try {
        await lookup(l);
      } catch (err) {
        result.unresolved++;
        const s = failure(err);
        if (s) stop = s;
        else if (err instanceof RestBudgetError) stop = 'partial';
        else if (err instanceof RestRequestError) result.error ??= err.message;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, deps.concurrency) }, worker),
  );
  // Lookups never started count as unresolved too.
  result.unresolved += plan.lookups.length - next;
  if (stop) return done(stop);
  return done(result.unresolved > 0 ? 'partial' : 'healed');
}
