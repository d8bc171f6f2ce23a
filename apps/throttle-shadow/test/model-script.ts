import {
  createThrottleModels,
  type Matcher,
  type ModelStrategy,
  type ThrottleReport,
} from '../src/throttle-models';

/**
 * The scripted day the model test's figures are worked out by hand from,
 * shared with the planner test that replays it on real Redis.
 */
// 2025-07-15 10:00 EDT: a whole hour, 5 m and 1 m boundary; the ET day
// began at 04:00Z. tickpulse's 7 m buckets start 240 s before it
// (floor(ms / 420 000)), so 7 m boundaries fall at +180 s, +600 s, +1020 s.
export const T0 = Date.parse('2025-07-15T14:00:00Z');
export const s = (sec: number) => T0 + sec * 1000;
export const CYCLES = 120; // 20 min of Go's 10 s cycles: k = 0 … 119 at T0 + 10 k s

export const LARGE = Array.from({ length: 1200 }, (_, i) => `L${i}`);
// Every ticker last traded yesterday, so the market (TICK:UPD) holds 1 203
// tickers from the first cycle and none is updated in today's buckets
// until the script below says so.
export const MARKET = ['A', 'B', 'C', ...LARGE];
export const TRADES: Record<string, number[]> = {
  A: [5, 15, 65, 305, 611],
  B: [25, 501, 505],
  C: [1001],
  L0: [101, 151],
  ...Object.fromEntries(LARGE.slice(1, 10).map(t => [t, [101]])),
};

/** TICK:UPD at a cycle: the newest trade at or before it (ZADD GT). */
export function tickUpdAt(atMs: number): Map<string, number> {
  const m = new Map(MARKET.map(t => [t, T0 - 86_400_000]));
  for (const [t, secs] of Object.entries(TRADES))
    for (const sec of secs) if (s(sec) <= atMs) m.set(t, s(sec));
  return m;
}

const strategy = (
  id: number,
  timeframe: string,
  alertUniverse: string[],
  universeSet: string[],
): ModelStrategy => ({
  id,
  timeframe,
  alertUniverse,
  universeSet,
  lastTriggerMs: null,
});

// A Go-shaped `strategies` table: every kind the Go loop tells apart.
export const STRATEGIES = [
  strategy(1, '1m', ['A', 'B', 'C'], ['A', 'B', 'C']), // typed, small
  strategy(2, '5m', LARGE, LARGE), // typed, large
  strategy(3, '1h', ['A', 'B', 'C'], ['A', 'B', 'C']), // triggers mid-bucket (B at ≥ 500 s)
  strategy(4, '1d', [], ['A', 'B']), // global by alert_universe, alert_universe_full set
  strategy(5, '5m', [], []), // global, alert_universe_full NULL; triggers (A at ≥ 400 s)
  strategy(6, '1m', ['A', 'B'], []), // typed, alert_universe_full NULL
  strategy(7, 'abc', ['A'], ['A']), // invalid timeframe
  strategy(8, '7m', ['A', 'C'], ['A', 'C']), // bucket not aligned to the hour
];

export const matches: Matcher = (id, ticker, atMs) =>
  (id === 3 && ticker === 'B' && atMs >= s(500)) ||
  (id === 5 && ticker === 'A' && atMs >= s(400));

export function run(): ThrottleReport {
  const models = createThrottleModels();
  for (let k = 0; k < CYCLES; k++) {
    const atMs = s(10 * k);
    models.step({ atMs, tickUpd: tickUpdAt(atMs) }, STRATEGIES, matches);
  }
  return models.report();
}
