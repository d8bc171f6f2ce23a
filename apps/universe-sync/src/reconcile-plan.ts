import {
  desiredUniverse,
  type StrategyDigest,
  type StrategyRow,
} from '@tickpulse/contracts';
import { fingerprint } from './fingerprint.js';

/** What Redis held for one strategy when its batch was read (under WATCH). */
export interface StoredState {
  id: number;
  /** Members of `STRAT:<id>:UNIV` (SCARD; 0 when there is no set). */
  count: number;
  /** Fingerprint stored for the strategy, or null. */
  storedFp: string | null;
}

/** A strategy the stored fingerprint vouches for: its row is not read. */
export interface TrustedItem {
  kind: 'trusted';
  id: number;
  outcome: 'unchanged' | 'absent';
}

/** A row that wants a set, decided without comparing members. */
export interface SetItem {
  kind: 'set';
  id: number;
  outcome: 'created' | 'replaced' | 'unchanged';
  tickers: string[];
  storedFp: string | null;
  fp: string;
}

/** A row that wants a set of the size Redis holds: members still to compare. */
export interface ProbeItem {
  kind: 'probe';
  id: number;
  tickers: string[];
  storedFp: string | null;
  fp: string;
}

/** A row that wants no set (deleted, inactive, global, malformed, no valid tickers). */
export interface NoSetItem {
  kind: 'none';
  id: number;
  outcome: 'removed' | 'absent';
  /** No row: the strategy's `:LAST` hash goes with its set. */
  deleted: boolean;
  storedFp: string | null;
  /** Null: the stored fingerprint, if any, is dropped. */
  fp: string | null;
}

/** One strategy's decision in a batch, in the batch's id order. */
export type PlanItem = TrustedItem | SetItem | ProbeItem | NoSetItem;
/** A decision with its member comparison (if it needed one) done. */
export type SettledItem = Exclude<PlanItem, ProbeItem>;

/** A batch's decisions before the member comparison. */
export interface Plan {
  items: PlanItem[];
  /** Elements of the rows read that are not tickers. */
  invalid: number;
  /** Each strategy whose row was read, with what is wrong with its universe (null: well-formed). */
  readRows: { id: number; problem: string | null }[];
}

/** A batch's decisions, every one final. */
export interface SettledPlan extends Omit<Plan, 'items'> {
  items: SettledItem[];
}

/** One change to a universe key, in batch order. */
export type UniverseChange =
  | { op: 'set'; id: number; replace: boolean; tickers: string[] }
  | { op: 'remove'; id: number; deleted: boolean };

/** Everything a settled batch writes. */
export interface WriteSet {
  changes: UniverseChange[];
  /** Field/value pairs for the fingerprints hash (HSET arguments). */
  fpSet: string[];
  /** Fields to drop from the fingerprints hash. */
  fpDel: string[];
}

/**
 * Which strategies a run may trust by fingerprint: all but one id in
 * `fullCheckEvery` (the run's slice, rotating with the run number), so a
 * change the fingerprint cannot see is found within `fullCheckEvery` runs.
 *
 * @param fullCheckEvery 1: trust none; 0: trust all
 * @param runNumber the run's place in the rotation
 * @returns whether the run may trust the strategy's fingerprint
 */
export function fullCheckTrust(
  fullCheckEvery: number,
  runNumber: number,
): (id: number) => boolean {
  const slice = fullCheckEvery > 0 ? runNumber % fullCheckEvery : -1;
  return id =>
    fullCheckEvery !== 1 && id % Math.max(fullCheckEvery, 1) !== slice;
}

/**
 * Pairs the batch's ids with what one read of Redis returned for them.
 *
 * @param ids the batch, in order
 * @param stored HMGET of the fingerprints hash, one entry per id
 * @param counts SCARD of each id's universe key
 * @returns one state per id
 */
export function storedStates(
  ids: readonly number[],
  stored: readonly (string | null)[],
  counts: readonly number[],
): StoredState[] {
  if (stored.length !== ids.length || counts.length !== ids.length)
    throw new Error(
      `reconcile read ${stored.length} fingerprints and ${counts.length} sizes for ${ids.length} strategies`,
    );
  return ids.map((id, i) => ({
    id,
    count: counts[i] ?? 0,
    storedFp: stored[i] ?? null,
  }));
}

/**
 * The strategies whose row version is worth reading: a fingerprint is stored
 * and this run may trust it (none on a cold run, so PostgreSQL reads nothing
 * it need not).
 *
 * @param trustable whether this run may trust the strategy's fingerprint
 * @returns ids for `StrategyReader.digests`
 */
export function digestCandidates(
  states: readonly StoredState[],
  trustable: (id: number) => boolean,
): number[] {
  return states
    .filter(s => s.storedFp !== null && trustable(s.id))
    .map(s => s.id);
}

/**
 * The strategies left unchanged by fingerprint: the row is active and was not
 * written since the set was compared (its version is the one stored), and the
 * set kept the size it had then.
 *
 * @param digests the current row versions of `digestCandidates`
 * @returns ids whose rows need not be read
 */
export function trustedIds(
  states: readonly StoredState[],
  digests: ReadonlyMap<number, StrategyDigest>,
  trustable: (id: number) => boolean,
): Set<number> {
  const trusted = new Set<number>();
  for (const { id, count, storedFp } of states) {
    const d = digests.get(id);
    if (
      d !== undefined &&
      d.alertactive &&
      trustable(id) &&
      storedFp === fingerprint(d.digest, count)
    )
      trusted.add(id);
  }
  return trusted;
}

/**
 * Decides each strategy of a batch from what Redis held and its row.
 *
 * @param input.states Redis as read under WATCH, in batch order
 * @param input.trusted ids vouched for by fingerprint (`trustedIds`)
 * @param input.rows the rows of the other ids, each with its version; a
 *   missing id is a deleted strategy
 * @returns the decisions; a `probe` item still needs its members compared
 */
export function planBatch(input: {
  states: readonly StoredState[];
  trusted: ReadonlySet<number>;
  rows: ReadonlyMap<number, { row: StrategyRow; digest: string }>;
}): Plan {
  const plan: Plan = { items: [], invalid: 0, readRows: [] };
  for (const { id, count, storedFp } of input.states) {
    if (input.trusted.has(id)) {
      plan.items.push({
        kind: 'trusted',
        id,
        outcome: count > 0 ? 'unchanged' : 'absent',
      });
      continue;
    }
    const found = input.rows.get(id);
    const desired = desiredUniverse(found?.row);
    plan.invalid += desired.invalid.length;
    plan.readRows.push({
      id,
      problem:
        desired.kind === 'none' && desired.reason === 'malformed'
          ? (desired.problem ?? '')
          : null,
    });
    if (desired.kind === 'set' && found) {
      const { tickers } = desired;
      const fp = fingerprint(found.digest, tickers.length);
      if (count === 0 || count !== tickers.length)
        plan.items.push({
          kind: 'set',
          id,
          outcome: count === 0 ? 'created' : 'replaced',
          tickers,
          storedFp,
          fp,
        });
      else plan.items.push({ kind: 'probe', id, tickers, storedFp, fp });
      continue;
    }
    plan.items.push({
      kind: 'none',
      id,
      outcome: count > 0 ? 'removed' : 'absent',
      deleted: found === undefined,
      storedFp,
      // An active global strategy keeps a fingerprint too (size 0), so the
      // next run need not read its row again.
      fp: found?.row.alertactive ? fingerprint(found.digest, 0) : null,
    });
  }
  return plan;
}

/**
 * The probes of a plan, for the member comparison.
 *
 * @returns the `probe` items in plan order
 */
export function probesOf(plan: Plan): ProbeItem[] {
  return plan.items.filter(item => item.kind === 'probe');
}

/**
 * Completes a plan with the member comparison of its probes.
 *
 * @param same whether the probe's set holds exactly its tickers
 * @returns the plan with every probe decided unchanged or replaced
 */
export function settlePlan(
  plan: Plan,
  same: (probe: ProbeItem) => boolean,
): SettledPlan {
  return {
    ...plan,
    items: plan.items.map(item =>
      item.kind === 'probe'
        ? {
            kind: 'set',
            id: item.id,
            outcome: same(item) ? 'unchanged' : 'replaced',
            tickers: item.tickers,
            storedFp: item.storedFp,
            fp: item.fp,
          }
        : item,
    ),
  };
}

/**
 * What a settled batch writes: its universe changes and the fingerprints
 * that differ from the stored ones.
 *
 * @returns the writes in batch order
 */
export function writeSetOf(plan: SettledPlan): WriteSet {
  const writes: WriteSet = { changes: [], fpSet: [], fpDel: [] };
  for (const item of plan.items) {
    if (item.kind === 'trusted') continue;
    if (item.kind === 'set' && item.outcome !== 'unchanged')
      writes.changes.push({
        op: 'set',
        id: item.id,
        replace: item.outcome === 'replaced',
        tickers: item.tickers,
      });
    else if (item.kind === 'none' && item.outcome === 'removed')
      writes.changes.push({ op: 'remove', id: item.id, deleted: item.deleted });
    if (item.fp === item.storedFp) continue;
    if (item.fp === null) writes.fpDel.push(String(item.id));
    else writes.fpSet.push(String(item.id), item.fp);
  }
  return writes;
}
