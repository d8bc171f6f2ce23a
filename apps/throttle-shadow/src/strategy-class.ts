import type { TimeframeUnit } from '@tickpulse/throttle';

/**
 * A bounded label for a strategy: global (the Go loop's global path: no
 * typed `alert_universe`), or the size band of its universe. The bands are
 * tickpulse's; the Go metrics loop logs ≤ 10, ≤ 100, ≤ 1 000 and > 1 000.
 */
export type StrategyClass = 'global' | 'small' | 'medium' | 'large';

export const STRATEGY_CLASSES: readonly StrategyClass[] = [
  'global',
  'small',
  'medium',
  'large',
];

/** global | small (≤ 100 tickers) | medium (≤ 1000) | large (> 1000). */
export function strategyClass(s: {
  global: boolean;
  universeSize: number;
}): StrategyClass {
  if (s.global) return 'global';
  if (s.universeSize <= 100) return 'small';
  if (s.universeSize <= 1000) return 'medium';
  return 'large';
}

/** Timeframe units as a label; `invalid` for a timeframe that does not parse. */
export type UnitLabel = TimeframeUnit | 'invalid';
