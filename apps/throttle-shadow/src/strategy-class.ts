import type { TimeframeUnit } from '@tickpulse/shared';

/** A bounded label for a strategy: global, or its universe size band (the Go metrics loop's bands). */
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
