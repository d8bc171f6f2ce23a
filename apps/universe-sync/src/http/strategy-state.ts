import {
  describeInvalid,
  desiredUniverse,
  type StrategyRow,
} from '@tickpulse/contracts';
import { type UniverseStore } from '@tickpulse/redis';
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Entries per list in a `GET /v1/strategies/:id` answer. A universe up to
 * this size (the whole US market fits) is answered in full, as before; a
 * larger one gets exact `counts` and lists cut to this many entries, so a
 * 1 M-ticker universe no longer makes a 29.7 MB answer that held the event
 * loop 4–4.5 s, past the 3 s liveness timeout.
 */
export const STATE_LIST_LIMIT = 10_000;

/** Members asked per `SMISMEMBER` / read per `SSCAN` page on a large universe. */
const CHUNK = 10_000;

/** The answer of `GET /v1/strategies/:id`. */
export interface StrategyState {
  strategyId: number;
  database: {
    exists: boolean;
    alertActive: boolean | null;
    universe: (string | null)[] | null;
    state: string;
    problem?: string;
    expected: string[];
    invalid: string[];
  };
  redis: { exists: boolean; members: string[] };
  inSync: boolean;
  missing: string[];
  extra: string[];
  /** True when a list below holds fewer entries than its count. */
  truncated: boolean;
  /** The full size of every list, exact even when the lists are cut. */
  counts: {
    universe: number;
    expected: number;
    members: number;
    missing: number;
    extra: number;
  };
}

/**
 * Compares what the database says a strategy's universe should be with what
 * Redis holds. Up to `limit` tickers on both sides: every list in full and
 * sorted. Beyond: exact counts (`SCARD`, `SMISMEMBER` in chunks) and the
 * lists cut to `limit` entries each, sorted, read in `SSCAN` pages; the
 * event loop gets a turn between chunks. A large universe takes as many
 * round trips as it needs; `call` bounds each one (a dead Redis still
 * answers within one deadline).
 */
export async function compareStrategy(
  strategyId: number,
  row: StrategyRow | undefined,
  store: UniverseStore,
  opts: {
    /** Wraps every Redis call (the API's per-call deadline). */
    call?: <T>(pending: Promise<T>) => Promise<T>;
    limit?: number;
  } = {},
): Promise<StrategyState> {
  const limit = opts.limit ?? STATE_LIST_LIMIT;
  const call = opts.call ?? (<T>(pending: Promise<T>) => pending);
  const desired = desiredUniverse(row);
  const expected = desired.kind === 'set' ? desired.tickers : [];
  const raw = row?.alert_universe_full;
  const size = await call(store.size(strategyId));
  const lists =
    expected.length <= limit && size <= limit
      ? compareWhole(await call(store.read(strategyId)), expected)
      : await compareLarge(strategyId, expected, size, store, limit, call);
  const malformed = desired.kind === 'none' && desired.reason === 'malformed';
  const universe = malformed || !Array.isArray(raw) ? null : raw;
  const universeList =
    universe && universe.length > limit ? universe.slice(0, limit) : universe;
  return {
    strategyId,
    database: {
      exists: row !== undefined,
      alertActive: row?.alertactive ?? null,
      // A malformed universe is not an array of text: described, not echoed.
      universe: universeList,
      state: desired.kind === 'set' ? 'active' : desired.reason,
      ...(desired.kind === 'none' && desired.problem
        ? { problem: desired.problem }
        : {}),
      expected: lists.expected,
      invalid: describeInvalid(desired.invalid, 100),
    },
    redis: { exists: size > 0, members: lists.members },
    inSync: lists.missingCount === 0 && lists.extraCount === 0,
    missing: lists.missing,
    extra: lists.extra,
    truncated:
      lists.truncated || (universeList?.length ?? 0) < (universe?.length ?? 0),
    counts: {
      universe: universe?.length ?? 0,
      expected: expected.length,
      members: size,
      missing: lists.missingCount,
      extra: lists.extraCount,
    },
  };
}

interface Lists {
  expected: string[];
  members: string[];
  missing: string[];
  extra: string[];
  missingCount: number;
  extraCount: number;
  truncated: boolean;
}

function compareWhole(members: string[], expected: readonly string[]): Lists {
  const want = new Set(expected);
  const have = new Set(members);
  const missing = expected.filter(t => !have.has(t)).sort();
  const extra = members.filter(t => !want.has(t)).sort();
  return {
    expected: [...expected].sort(),
    members: members.sort(),
    missing,
    extra,
    missingCount: missing.length,
    extraCount: extra.length,
    truncated: false,
  };
}

async function compareLarge(
  strategyId: number,
  expected: readonly string[],
  size: number,
  store: UniverseStore,
  limit: number,
  call: <T>(pending: Promise<T>) => Promise<T>,
): Promise<Lists> {
  const missing: string[] = [];
  let missingCount = 0;
  for (let i = 0; i < expected.length; i += CHUNK) {
    const chunk = expected.slice(i, i + CHUNK);
    const flags = await call(store.contains(strategyId, chunk));
    flags.forEach((member, k) => {
      if (member) return;
      missingCount++;
      if (missing.length < limit) missing.push(chunk[k]!);
    });
  }
  // Every expected ticker that is not missing is a member, so the rest of
  // the set is extra (a set that changes meanwhile can make it off: ≥ 0).
  const extraCount = Math.max(0, size - (expected.length - missingCount));

  const members = new Set<string>();
  const extra = new Set<string>();
  const want = extraCount > 0 ? await setOf(expected) : undefined;
  const wantExtra = Math.min(limit, extraCount);
  const pages = store.scanMembers(strategyId, CHUNK);
  for (;;) {
    const next = await call(pages.next());
    if (next.done) break;
    for (const m of next.value) {
      if (members.size < limit) members.add(m);
      if (want && extra.size < wantExtra && !want.has(m)) extra.add(m);
    }
    if (members.size >= Math.min(limit, size) && extra.size >= wantExtra) {
      await pages.return(undefined);
      break;
    }
  }
  return {
    expected: expected.slice(0, limit).sort(),
    members: [...members].sort(),
    missing: missing.sort(),
    extra: [...extra].sort(),
    missingCount,
    extraCount,
    truncated:
      expected.length > limit ||
      size > members.size ||
      missingCount > missing.length ||
      extraCount > extra.size,
  };
}

/** A Set of a large list, built a chunk per turn of the event loop. */
async function setOf(list: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < list.length; i += 4 * CHUNK) {
    if (i > 0) await nextTurn();
    for (let k = i; k < Math.min(list.length, i + 4 * CHUNK); k++)
      out.add(list[k]!);
  }
  return out;
}
