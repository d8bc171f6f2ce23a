import {
  RestAuthError,
  RestBudgetError,
  RestRequestError,
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

/** Pages of `/v3/trades` one ticker's lookup may read before it gives up. */
export const MAX_PAGES_PER_LOOKUP = 20;

/**
 * The first `/v3/trades` page of one lookup: newest first, from the gap
 * start (ms) to the ticker's last print (SIP ns digits).
 */
export function firstTradesPage(
  ticker: string,
  gapStartMs: number,
  lastNs: string,
  pageLimit: number,
): string {
  const gte = (BigInt(Math.floor(gapStartMs)) * 1_000_000n).toString();
  return (
    `/v3/trades/${encodeURIComponent(ticker)}?order=desc&sort=timestamp` +
    `&limit=${pageLimit}&timestamp.gte=${gte}&timestamp.lte=${lastNs}`
  );
}

/**
 * Why the page at `path` must not be fetched, or undefined when it may: a
 * `next_url` that leads back, or never ends, is a broken peer.
 *
 * @param fetched the pages this lookup already read.
 */
export function pageRefusal(
  fetched: ReadonlySet<string>,
  path: string,
): 'next_url_loop' | 'too_many_pages' | undefined {
  if (fetched.has(path)) return 'next_url_loop';
  if (fetched.size >= MAX_PAGES_PER_LOOKUP) return 'too_many_pages';
  return undefined;
}

/**
 * Whether an error ends the whole run, and why: the caller's abort first,
 * then the run's deadline, then a refused key. Undefined: only this
 * request failed.
 */
export function runStopper(
  err: unknown,
  s: { aborted: boolean; deadlinePassed: boolean },
): 'aborted' | 'deadline' | 'unauthorized' | undefined {
  if (s.aborted) return 'aborted';
  if (s.deadlinePassed) return 'deadline';
  if (err instanceof RestAuthError) return 'unauthorized';
  return undefined;
}

/**
 * What a failed lookup means for the run (it is unresolved either way):
 * stop it (`stop`), or go on and keep the first request error (`error`).
 *
 * @param stopper `runStopper`'s verdict on the error, `deadline` already
 *   mapped to `partial`.
 */
export function lookupFailure(
  err: unknown,
  stopper: BackfillOutcome | undefined,
): { stop?: BackfillOutcome; error?: string } {
  if (stopper) return { stop: stopper };
  if (err instanceof RestBudgetError) return { stop: 'partial' };
  if (err instanceof RestRequestError) return { error: err.message };
  return {};
}

/** How a run whose snapshot was applied ended. */
export function lookupsOutcome(
  stop: BackfillOutcome | undefined,
  unresolved: number,
): BackfillOutcome {
  if (stop) return stop;
  return unresolved > 0 ? 'partial' : 'healed';
}
