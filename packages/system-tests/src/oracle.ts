import { seededRandom } from '@tickpulse/testkit';
/**
 * The tests' own model of what TICK:UPD must hold, written independently of
 * the production policy code (`@tickpulse/polygon`): the exclusion set of
 * the default `backend` policy is spelled out here literally.
 */

/** Condition ids the `backend` policy excludes (the Go backend's shouldUpdatePrice). */
export const BACKEND_EXCLUDED_CONDITIONS: ReadonlySet<number> = new Set([
  2, 7, 13, 20, 21, 37, 52, 53,
]);

/** One scripted Polygon trade event. */
export interface ScriptedTrade {
  ev: 'T';
  sym: string;
  x: number;
  i: string;
  z: number;
  p: number;
  s: number;
  /** Unix ms (or ns when `ns` was requested; the oracle always uses ms). */
  t: number;
  q: number;
  c?: number[];
}

/** Condition lists the scripts draw from: eligible and ineligible ones. */
const CONDITION_MIX: (number[] | undefined)[] = [
  undefined,
  [],
  [0],
  [14],
  [14, 41],
  [12],
  [10],
  [22],
  [60],
  [37],
  [37, 14],
  [2],
  [7],
  [13],
  [20],
  [21],
  [52],
  [53],
  [41, 53],
  [99],
];

/** True when a trade may update the last price under the `backend` policy. */
export function eligible(trade: { c?: number[] }): boolean {
  return !(trade.c ?? []).some(id => BACKEND_EXCLUDED_CONDITIONS.has(id));
}

/** The newest eligible trade time (ms) per ticker, over many trade lists. */
export class TickOracle {
  readonly expected = new Map<string, number>();
  /** Tickers that received trades, eligible or not. */
  readonly seen = new Set<string>();

  add(
    trades: readonly { sym: string; t: number; c?: number[] }[],
    tUnit: 'ms' | 'ns' = 'ms',
  ) {
    for (const tr of trades) {
      this.seen.add(tr.sym);
      if (!eligible(tr)) continue;
      const ms = tUnit === 'ns' ? tr.t / 1e6 : tr.t;
      const prev = this.expected.get(tr.sym);
      if (prev === undefined || ms > prev) this.expected.set(tr.sym, ms);
    }
  }
}

/**
 * Builds scripted frames for `tickers`: random conditions (eligible and
 * not), trade times scattered over `spanMs` before `nowMs` so late prints
 * (an older `t` after a newer one) are common, and a share of duplicates
 * (the same trade sent twice).
 */
export function scriptFrames(opts: {
  tickers: readonly string[];
  frames: number;
  perFrame: number;
  nowMs: number;
  spanMs: number;
  seed: number;
}): ScriptedTrade[][] {
  const rnd = seededRandom(opts.seed);
  const out: ScriptedTrade[][] = [];
  let seq = 0;
  for (let f = 0; f < opts.frames; f++) {
    const frame: ScriptedTrade[] = [];
    for (let k = 0; k < opts.perFrame; k++) {
      const sym = opts.tickers[Math.floor(rnd() * opts.tickers.length)]!;
      const c = CONDITION_MIX[Math.floor(rnd() * CONDITION_MIX.length)];
      const trade: ScriptedTrade = {
        ev: 'T',
        sym,
        x: 1 + Math.floor(rnd() * 20),
        i: String(++seq),
        z: 1 + Math.floor(rnd() * 3),
        p: Math.round(10_000 + rnd() * 10_000) / 100,
        s: 1 + Math.floor(rnd() * 500),
        t: opts.nowMs - Math.floor(rnd() * opts.spanMs),
        q: seq,
      };
      if (c !== undefined) trade.c = c;
      frame.push(trade);
      // Duplicate delivery of the same trade.
      if (rnd() < 0.05) frame.push({ ...trade });
    }
    out.push(frame);
  }
  return out;
}
