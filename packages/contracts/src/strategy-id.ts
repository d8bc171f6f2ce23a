import { echoValue } from './echo.js';

/** Largest `strategies.strategyid` (PostgreSQL `integer`). */
export const MAX_STRATEGY_ID = 2_147_483_647;

/**
 * A strategy id as text: canonical decimal only, as PostgreSQL prints an
 * integer. `Number()` would also take `1e3`, `0x10`, `+2`, `01`, `1.0`,
 * ` 2` and `Infinity`; none of those is how anyone writes an id, and
 * accepting them gives one strategy many spellings.
 */
export const STRATEGY_ID_PATTERN = '^[1-9][0-9]{0,9}$';
const STRATEGY_ID_RE = new RegExp(STRATEGY_ID_PATTERN);

/**
 * Parses a strategy id given as text (a path segment, a CLI argument, a
 * notification payload), or says why it is not one.
 */
export function parseStrategyId(
  raw: unknown,
): { ok: true; id: number } | { ok: false; reason: string } {
  if (typeof raw !== 'string' || !STRATEGY_ID_RE.test(raw))
    return {
      ok: false,
      reason: `must be a canonical decimal integer from 1 to ${MAX_STRATEGY_ID}, got ${echoValue(raw)}`,
    };
  const id = Number(raw);
  if (id > MAX_STRATEGY_ID)
    return { ok: false, reason: `must be <= ${MAX_STRATEGY_ID}, got ${raw}` };
  return { ok: true, id };
}
