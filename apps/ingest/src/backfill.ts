import {
  checkConditions,
  nsToMillis,
  type ConditionPolicy,
  type TimestampBounds,
} from '@tickpulse/polygon';
import { isNormalizedTicker } from '@tickpulse/contracts';
import {
  firstTradesPage,
  lookupFailure,
  lookupsOutcome,
  pageRefusal,
  runStopper,
  type BackfillOutcome,
} from './backfill-steps.js';
import {
  RestRequestError,
  SNAPSHOT_PATH,
  type RequestBudget,
  type RestClient,
} from './rest-client.js';

export {
  MAX_PAGES_PER_LOOKUP,
  type BackfillOutcome,
} from './backfill-steps.js';

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

/** One run's shared facts and its way of ending. */
interface Run {
  deps: BackfillDeps;
  budget: RequestBudget;
  result: BackfillResult;
  /** The caller's abort and the run's deadline together. */
  signal: AbortSignal;
  ctx(): Ctx;
  /** Whether `err` ends the run, as an outcome (a passed deadline: `partial`, noted in `error`). */
  stopFor(err: unknown): BackfillOutcome | undefined;
  /** The result with its outcome and the requests spent. */
  done(outcome: BackfillOutcome): BackfillResult;
}

function startRun(deps: BackfillDeps): Run {
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
  // Slow answers within each request's timeout, times many lookups, must
  // not hold the healer for hours: one deadline for the whole run.
  const deadline = AbortSignal.timeout(deps.deadlineMs);
  return {
    deps,
    budget,
    result,
    signal: deps.signal ? AbortSignal.any([deps.signal, deadline]) : deadline,
    ctx: () => ({
      policy: deps.policy,
      bounds: deps.bounds,
      nowMs: (deps.now ?? Date.now)(),
    }),
    stopFor(err) {
      const why = runStopper(err, {
        aborted: deps.signal?.aborted === true,
        deadlinePassed: deadline.aborted,
      });
      if (why !== 'deadline') return why;
      result.error ??= `deadline of ${deps.deadlineMs} ms passed`;
      return 'partial';
    },
    done(outcome) {
      result.requests = deps.budget - budget.remaining;
      result.outcome = outcome;
      return result;
    },
  };
}

/** Reads the snapshot and applies its ticks; the plan, or the run's end when it could not be read. */
async function applySnapshot(
  run: Run,
  gapStartMs: number,
): Promise<{ plan: SnapshotPlan } | { ended: BackfillResult }> {
  const { deps, result } = run;
  let plan: SnapshotPlan;
  try {
    const body = await deps.rest.get(
      'snapshot',
      SNAPSHOT_PATH,
      run.budget,
      run.signal,
    );
    plan = planFromSnapshot(body, gapStartMs, run.ctx());
  } catch (err) {
    const outcome = run.stopFor(err);
    if (outcome) return { ended: run.done(outcome) };
    result.error = err instanceof Error ? err.message : String(err);
    return { ended: run.done('failed') };
  }
  for (const [ticker, ms] of plan.ticks) deps.add(ticker, ms);
  result.fromSnapshot = plan.inGap;
  result.invalid = plan.invalid;
  result.lookedUp = plan.lookups.length;
  return { plan };
}

/** Pages through one ticker's trades, newest first, until its newest eligible print (or none). */
async function lookUp(run: Run, l: Lookup, firstPage: string): Promise<void> {
  const { deps, result } = run;
  let path: string | undefined = firstPage;
  const fetched = new Set<string>();
  while (path) {
    const refusal = pageRefusal(fetched, path);
    if (refusal) throw new RestRequestError('trades', refusal);
    fetched.add(path);
    const body = await deps.rest.get('trades', path, run.budget, run.signal);
    const found = newestEligible(body.results, run.ctx());
    result.invalid += found.invalid;
    if (found.ms !== undefined) {
      deps.add(l.ticker, found.ms);
      result.fromTrades++;
      return;
    }
    path = typeof body.next_url === 'string' ? body.next_url : undefined;
  }
}

/**
 * Runs the lookups `concurrency` at a time until done or stopped; counts
 * failed and never started ones as unresolved.
 *
 * @returns why the run stopped early, if it did.
 */
async function runLookups(
  run: Run,
  lookups: readonly Lookup[],
  gapStartMs: number,
): Promise<BackfillOutcome | undefined> {
  const { deps, result } = run;
  let stop: BackfillOutcome | undefined;
  let next = 0;
  const worker = async () => {
    while (stop === undefined && next < lookups.length) {
      const l = lookups[next++]!;
      const first = firstTradesPage(
        l.ticker,
        gapStartMs,
        l.lastNs,
        deps.pageLimit,
      );
      try {
        await lookUp(run, l, first);
      } catch (err) {
        result.unresolved++;
        const f = lookupFailure(err, run.stopFor(err));
        if (f.stop) stop = f.stop;
        else if (f.error) result.error ??= f.error;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, deps.concurrency) }, worker),
  );
  result.unresolved += lookups.length - next;
  return stop;
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
  const run = startRun(deps);
  const snapshot = await applySnapshot(run, gapStartMs);
  if ('ended' in snapshot) return snapshot.ended;
  const stop = await runLookups(run, snapshot.plan.lookups, gapStartMs);
  return run.done(lookupsOutcome(stop, run.result.unresolved));
}
