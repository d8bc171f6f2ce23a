import { BACKEND_POLICY, checkConditions } from '@tickpulse/polygon';
import { createFrameGenerator, createUniverse } from '@tickpulse/polygon-sim';
import { seededRandom } from '@tickpulse/testkit';

/** A pre-generated trade stream and what TICK:UPD must hold after it. */
export interface Feed {
  /** Polygon trade frames (JSON arrays), in sending order. */
  frames: Buffer[];
  /** Trades in each frame. */
  counts: Int32Array;
  trades: number;
  bytes: number;
  /** Ticker → newest eligible trade time (ms) under the `backend` policy. */
  expected: Map<string, number>;
}

/**
 * Generates `trades` realistic regular-hours trades (the simulator's
 * universe of 10 000 tickers with Zipf shares and its condition/exchange
 * mix) in frames of 1..`frameMax` trades, and the oracle computed with the
 * eligibility rules ingest applies (`@tickpulse/polygon`'s backend policy).
 * Trade times advance as if sent at `rate` trades/s from `startMs`, so a
 * stream paced at that rate (or sent later) never carries a future time.
 */
export function generateFeed(opts: {
  trades: number;
  rate: number;
  frameMax: number;
  seed: number;
  startMs: number;
  tickers?: number;
}): Feed {
  const universe = createUniverse(opts.tickers ?? 10_000, opts.seed);
  const gen = createFrameGenerator({
    tickers: universe,
    seed: opts.seed + 1,
    session: 'regular',
  });
  const sizes = seededRandom(opts.seed + 2);
  const frames: Buffer[] = [];
  const counts: number[] = [];
  const expected = new Map<string, number>();
  let made = 0;
  let bytes = 0;
  while (made < opts.trades) {
    const size = Math.min(
      opts.trades - made,
      1 + Math.floor(sizes() * opts.frameMax),
    );
    const now = opts.startMs + Math.floor((made * 1000) / opts.rate);
    gen.generate(size, now, size, (frame, events) => {
      frames.push(frame);
      counts.push(events);
      bytes += frame.length;
      for (let e = 0; e < events; e++) {
        const k = gen.frameTickers[e]!;
        const shape = gen.describe(k, gen.frameShapes[e]!);
        if (checkConditions(BACKEND_POLICY, shape.conditions).excludedBy >= 0)
          continue;
        const sym = universe[k]!.sym;
        const t = gen.frameTimes[e]!;
        if (t > (expected.get(sym) ?? -1)) expected.set(sym, t);
      }
    });
    made += size;
  }
  return {
    frames,
    counts: Int32Array.from(counts),
    trades: made,
    bytes,
    expected,
  };
}
