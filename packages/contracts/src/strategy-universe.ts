import { echoValue } from './echo.js';
import { isNormalizedTicker, normalizeTicker } from './tickers.js';

/**
 * The columns of `strategies` tickpulse reads, as the reader returns them.
 * `alert_universe_full` is typed `unknown` on purpose: the column is `text[]`,
 * but PostgreSQL does not enforce its dimensions, so a row can hold a 2-D
 * array (`ARRAY[['AAPL'],['MSFT']]`) whose elements arrive as arrays. The
 * rule below checks the shape instead of trusting the type.
 */
export interface StrategyRow {
  strategyid: number;
  alertactive: boolean;
  /** NULL or empty means a global strategy; elements may be NULL (the CHECK allows it). */
  alert_universe_full: unknown;
}

/** Why a strategy has no `STRAT:<id>:UNIV` set. */
export type NoSetReason =
  'deleted' | 'inactive' | 'global' | 'no-valid-tickers' | 'malformed';

/** An element of `alert_universe_full` that is not a ticker symbol. */
export interface InvalidElement {
  index: number;
  value: string;
  reason: string;
}

/** What Redis should hold for one strategy. */
export type DesiredUniverse =
  | { kind: 'set'; tickers: string[]; invalid: InvalidElement[] }
  | {
      kind: 'none';
      reason: NoSetReason;
      invalid: InvalidElement[];
      /** For `malformed`: what is wrong with the column, bounded for a log line. */
      problem?: string;
    };

/**
 * Why `alert_universe_full` is not a 1-D array of text/NULL, or undefined
 * when it is one (NULL counts as well-formed: it means global).
 */
function malformation(raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (!Array.isArray(raw)) return `not an array (${typeof raw})`;
  for (let i = 0; i < raw.length; i++) {
    const v: unknown = raw[i];
    if (v === null || typeof v === 'string') continue;
    return Array.isArray(v)
      ? `multi-dimensional array (element [${i}] is ${echoValue(v, 40)})`
      : `element [${i}] is not text (${echoValue(v, 40)})`;
  }
  return undefined;
}

/**
 * Decides what `STRAT:<id>:UNIV` must hold for a row (or a missing row). The
 * sync job, the reconcile and throttle-shadow all use this one rule, so they
 * can never disagree about a strategy.
 *
 * - Missing row → no set (and the caller removes `:LAST` as well).
 * - Inactive → no set, whatever the universe.
 * - NULL or empty universe → global → no set. "Global" is decided from
 *   `alert_universe_full` only (the Go backend's sync reads only that column).
 * - A malformed universe (not a 1-D array of text and NULL: a 2-D array,
 *   non-text elements) → no set, reason `malformed`. It is treated like a
 *   universe without a valid ticker rather than left untouched: the result
 *   must depend on the row alone, so that a sync job, a reconcile, a replica
 *   that never saw the old set and a Redis rebuilt from nothing all reach the
 *   same state; "untouched" would keep a set no current row describes, and
 *   flattening the array would guess at a meaning no writer stated.
 * - NULL and blank elements are dropped silently: the CHECK constraint lets
 *   NULL through and the extractor never means anything by them.
 * - Elements that are not ticker symbols are left out and returned in
 *   `invalid` so the caller counts and logs them. The valid rest is still
 *   written: an invalid symbol can never match a TICK:UPD member, so leaving
 *   it out changes nothing the alert loop would do, while refusing the whole
 *   universe would keep a stale set (or none) for a strategy a user just
 *   edited. When nothing valid remains the set is removed — an empty set
 *   cannot exist in Redis, and "global" (run unfiltered) would be wrong.
 *
 * Never throws, whatever the row holds.
 */
export function desiredUniverse(row: StrategyRow | undefined): DesiredUniverse {
  if (!row) return { kind: 'none', reason: 'deleted', invalid: [] };
  if (!row.alertactive)
    return { kind: 'none', reason: 'inactive', invalid: [] };
  const raw = row.alert_universe_full;
  const problem = malformation(raw);
  if (problem !== undefined)
    return { kind: 'none', reason: 'malformed', invalid: [], problem };
  const list = raw as (string | null)[] | null | undefined;
  if (!list || list.length === 0) {
    return { kind: 'none', reason: 'global', invalid: [] };
  }
  const tickers = new Set<string>();
  const invalid: InvalidElement[] = [];
  let present = 0;
  for (let i = 0; i < list.length; i++) {
    const value = list[i];
    if (value === null || value === undefined) continue;
    // Fast path (reconcile reads millions): an already normalised symbol
    // needs no trim / upper-case; the result is what normalizeTicker gives.
    if (isNormalizedTicker(value)) {
      present++;
      tickers.add(value);
      continue;
    }
    if (value.trim() === '') continue;
    present++;
    const r = normalizeTicker(value);
    if (r.ok) tickers.add(r.ticker);
    else invalid.push({ index: i, value, reason: r.reason });
  }
  // Only NULL/blank elements: the extractor found nothing, which it means as global.
  if (present === 0) return { kind: 'none', reason: 'global', invalid };
  if (tickers.size === 0) {
    return { kind: 'none', reason: 'no-valid-tickers', invalid };
  }
  return { kind: 'set', tickers: [...tickers], invalid };
}

/** A short, bounded description of invalid elements for a log line. */
export function describeInvalid(
  invalid: readonly InvalidElement[],
  max = 5,
): string[] {
  return invalid
    .slice(0, max)
    .map(i => `[${i.index}] ${echoValue(i.value, 40)}: ${i.reason}`);
}

/**
 * What the reader needs from a PostgreSQL client: `pg`'s `Pool` and `Client`
 * fit. Kept structural so that this package does not depend on `pg`.
 */
export interface SqlClient {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** Reads the `strategies` columns tickpulse needs. No query ever writes. */
export interface StrategyReader {
  /** One strategy, or undefined when the row does not exist. */
  fetch(strategyId: number): Promise<StrategyRow | undefined>;
  /** Ids of alert-active strategies above `afterId`, ascending (keyset page). */
  activeIdsAfter(afterId: number, limit: number): Promise<number[]>;
  /**
   * Alert-active strategies whose id is below 1: never paged above, so
   * never given a universe. How many, and the lowest `limit` ids.
   */
  activeIdsBelowOne(limit: number): Promise<{ count: number; ids: number[] }>;
  /**
   * Per id: `alertactive` and the row's version (see `StrategyDigest`),
   * without shipping or hashing the arrays. Missing ids are deleted
   * strategies.
   */
  digests(ids: readonly number[]): Promise<Map<number, StrategyDigest>>;
  /** The rows for these ids (missing ids are deleted strategies), each with its digest (the one `digests` returns). */
  fetchManyWithDigest(
    ids: readonly number[],
  ): Promise<Map<number, { row: StrategyRow; digest: string }>>;
  /** `SELECT 1`, for readiness. */
  ping(): Promise<void>;
}

/** A row summarised: enough to tell whether its universe changed since a digest was stored. */
export interface StrategyDigest {
  alertactive: boolean;
  /**
   * The row version: `xmin/ctid/stored size of alert_universe_full`. Every
   * UPDATE writes a new tuple with the writing transaction's id as `xmin`,
   * so a row whose version is unchanged has not been written since (whatever
   * column changed). Equal versions of different contents need a transaction
   * id reused on the same tuple slot with the same stored size (32-bit xid
   * wraparound, or a point-in-time restore that replays ids), which callers
   * relying on it must cover some other way.
   */
  digest: string;
}

// System columns and the varlena header only: no array is detoasted, turned
// into text or hashed (md5 of `::text` cost ~30 ms per 500 rows of 500
// tickers; this ~0.4 ms).
const DIGEST = `xmin::text || '/' || ctid::text || '/' || coalesce(pg_column_size(alert_universe_full), -1) AS digest`;
// Every read ships the universe as JSON, so every caller sees the same shape
// (a 2-D array arrives as nested arrays on every path). PostgreSQL's
// array_to_json does the quoting and JSON.parse (native) replaces pg's
// JavaScript array-literal parser, which dominated reading 5 M elements.
// NULL elements stay null; pg parses json (oid 114) itself.
const COLUMNS =
  'strategyid, alertactive, array_to_json(alert_universe_full) AS alert_universe_full';

/** The strategy queries over a pool (or anything with pg's `query`). */
export function createStrategyReader(db: SqlClient): StrategyReader {
  return {
    async fetch(strategyId) {
      const { rows } = await db.query<StrategyRow>(
        `SELECT ${COLUMNS} FROM strategies WHERE strategyid = $1`,
        [strategyId],
      );
      return rows[0];
    },
    async activeIdsAfter(afterId, limit) {
      const { rows } = await db.query<{ strategyid: number }>(
        `SELECT strategyid FROM strategies
          WHERE alertactive AND strategyid > $1
          ORDER BY strategyid LIMIT $2`,
        [afterId, limit],
      );
      return rows.map(r => r.strategyid);
    },
    async activeIdsBelowOne(limit) {
      const { rows } = await db.query<{ strategyid: number; n: string }>(
        `SELECT strategyid, count(*) OVER () AS n FROM strategies
          WHERE alertactive AND strategyid < 1
          ORDER BY strategyid LIMIT $1`,
        [limit],
      );
      return {
        count: rows.length === 0 ? 0 : Number(rows[0]!.n),
        ids: rows.map(r => r.strategyid),
      };
    },
    async digests(ids) {
      const out = new Map<number, StrategyDigest>();
      if (ids.length === 0) return out;
      const { rows } = await db.query<StrategyDigest & { strategyid: number }>(
        `SELECT strategyid, alertactive, ${DIGEST}
           FROM strategies WHERE strategyid = ANY($1::int[])`,
        [ids],
      );
      for (const r of rows)
        out.set(r.strategyid, { alertactive: r.alertactive, digest: r.digest });
      return out;
    },
    async fetchManyWithDigest(ids) {
      const out = new Map<number, { row: StrategyRow; digest: string }>();
      if (ids.length === 0) return out;
      const { rows } = await db.query<StrategyRow & { digest: string }>(
        `SELECT ${COLUMNS}, ${DIGEST}
           FROM strategies WHERE strategyid = ANY($1::int[])`,
        [ids],
      );
      for (const { digest, ...row } of rows)
        out.set(row.strategyid, { row, digest });
      return out;
    },
    async ping() {
      await db.query('SELECT 1');
    },
  };
}
