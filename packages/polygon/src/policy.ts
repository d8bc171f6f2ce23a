import {
  BACKEND_EXCLUDED_IDS,
  isKnownConditionId,
  SIP_LAST_EXCLUDED_IDS,
} from './conditions.js';

/** Condition ids at or above this are never excluded and always "unknown". */
export const MAX_CONDITION_ID = 1024;

/** Per-id classification in a policy's lookup table. */
export const ALLOW = 0;
export const EXCLUDE = 1;
export const UNKNOWN = 2;

/**
 * Which trades may update a ticker's "last trade" time. A trade is eligible
 * only if none of its conditions is excluded (logical AND of the per-id
 * rules); a trade without conditions is a regular sale.
 *
 * Ids outside the reference table ("unknown") are allowed and counted: a
 * condition Polygon adds later is far more likely an informational
 * indicator than a new non-last sale type, and denying it would silently
 * freeze tickers. The count (a metric) tells operators to revisit the table.
 */
export interface ConditionPolicy {
  /** `backend`, `sip-last`, or `custom`. */
  readonly name: string;
  /** Excluded ids, ascending. */
  readonly excluded: readonly number[];
  /** id → ALLOW | EXCLUDE | UNKNOWN, for ids below MAX_CONDITION_ID. */
  readonly table: Uint8Array;
}

/** Builds a policy from the ids it excludes. */
export function createConditionPolicy(
  name: string,
  excluded: Iterable<number>,
): ConditionPolicy {
  const table = new Uint8Array(MAX_CONDITION_ID);
  for (let id = 0; id < MAX_CONDITION_ID; id++) {
    table[id] = isKnownConditionId(id) ? ALLOW : UNKNOWN;
  }
  const ids = [...new Set(excluded)].sort((a, b) => a - b);
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_CONDITION_ID) {
      throw new RangeError(
        `condition id must be an integer in 0..${MAX_CONDITION_ID - 1}, got ${id}`,
      );
    }
    table[id] = EXCLUDE;
  }
  return { name, excluded: ids, table };
}

/** What the existing Go backend's `shouldUpdatePrice` excludes, exactly. */
export const BACKEND_POLICY = createConditionPolicy(
  'backend',
  BACKEND_EXCLUDED_IDS,
);

/** The consolidated "update last" rules of the SIP condition table. */
export const SIP_LAST_POLICY = createConditionPolicy(
  'sip-last',
  SIP_LAST_EXCLUDED_IDS,
);

/**
 * Parses `CONDITION_POLICY`: `backend`, `sip-last`, or a comma-separated
 * list of excluded ids such as `2,7,12,37`.
 *
 * @throws Error explaining the accepted forms.
 */
export function parseConditionPolicy(value: string): ConditionPolicy {
  const v = value.trim().toLowerCase();
  if (v === 'backend') return BACKEND_POLICY;
  if (v === 'sip-last') return SIP_LAST_POLICY;
  const parts = v.split(',').map(p => p.trim());
  if (parts.length === 0 || parts.some(p => !/^\d{1,4}$/.test(p))) {
    throw new Error(
      `condition policy must be "backend", "sip-last" or a comma-separated list of condition ids (e.g. "2,7,37")`,
    );
  }
  return createConditionPolicy('custom', parts.map(Number));
}

/** Outcome of checking one trade's conditions. */
export interface Eligibility {
  /** The first excluded id, or -1 when the trade is eligible. */
  excludedBy: number;
  /** How many of its ids are not in the reference table. */
  unknown: number;
}

/**
 * Checks a trade's conditions against a policy.
 *
 * @param conditions the trade's `c`, absent for a regular sale.
 */
export function checkConditions(
  policy: ConditionPolicy,
  conditions: readonly number[] | undefined,
): Eligibility {
  let unknown = 0;
  if (conditions) {
    for (const id of conditions) {
      const cls = id < MAX_CONDITION_ID ? policy.table[id]! : UNKNOWN;
      if (cls === EXCLUDE) return { excludedBy: id, unknown };
      if (cls === UNKNOWN) unknown++;
    }
  }
  return { excludedBy: -1, unknown };
}
