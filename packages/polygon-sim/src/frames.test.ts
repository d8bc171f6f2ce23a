import { parseFrame } from '@tickpulse/polygon';
import { createFrameGenerator } from './frames';
import { createUniverse } from './stream';

interface Trade {
  sym: string;
  x: number;
  i: string;
  t: number;
  q: number;
  c?: number[];
  trfi?: number;
  trft?: number;
  ds?: string;
}

function generate(n: number, now: number, session: 'regular' | 'extended') {
  const tickers = createUniverse(2000, 5);
  const gen = createFrameGenerator({ tickers, seed: 9, session });
  const trades: Trade[] = [];
  const frames: Buffer[] = [];
  gen.generate(n, now, 50, (frame, events) => {
    frames.push(frame);
    const list = JSON.parse(frame.toString('utf8')) as Trade[];
    expect(list).toHaveLength(events);
    // Spans and tickers of the first frames (an expect per trade is slow).
    if (frames.length <= 5)
      list.forEach((t, e) => {
        expect(tickers[gen.frameTickers[e]!]!.sym).toBe(t.sym);
        expect(
          JSON.parse(
            frame.subarray(gen.frameStarts[e], gen.frameEnds[e]).toString(),
          ),
        ).toEqual(t);
      });
    trades.push(...list);
  });
  return { trades, frames };
}

describe('frame generator', () => {
  const now = 1_752_586_200_000;

  it('produces valid frames with the realistic mix', () => {
    const { trades, frames } = generate(50_000, now, 'regular');
    expect(trades).toHaveLength(50_000);
    expect(frames).toHaveLength(1000);
    let parsed = 0;
    let invalid = 0;
    for (const f of frames) {
      const p = parseFrame(f);
      invalid += Object.keys(p.invalid).length;
      parsed += p.trades.length;
    }
    expect(invalid).toBe(0);
    expect(parsed).toBe(50_000);
    const share = (pred: (t: Trade) => boolean) =>
      trades.filter(pred).length / trades.length;
    expect(share(t => t.c?.includes(37) === true)).toBeGreaterThan(0.45);
    expect(share(t => t.c?.includes(37) === true)).toBeLessThan(0.55);
    expect(share(t => t.x === 4)).toBeGreaterThan(0.35);
    expect(share(t => t.c?.includes(14) === true)).toBeGreaterThan(0.04);
    expect(share(t => t.c === undefined)).toBeGreaterThan(0.3);
    expect(trades.every(t => (t.x === 4) === (t.trfi !== undefined))).toBe(
      true,
    );
    expect(
      trades.every(t => t.trft === undefined || (t.trft <= t.t && t.trft > 0)),
    ).toBe(true);
    expect(trades.every(t => t.t <= now && t.t > now - 121_000)).toBe(true);
    expect(trades.some(t => now - t.t > 1000)).toBe(true);
    expect(trades.some(t => t.c?.includes(12) === true)).toBe(false);
    // Zipf: the first listing trades far more often than the median one.
    const spy = share(t => t.sym === 'SPY');
    expect(spy).toBeGreaterThan(0.08);
    expect(new Set(trades.map(t => t.sym)).size).toBeGreaterThan(1500);
  });

  it('numbers trades: unique ids, per-ticker sequence numbers from 1', () => {
    const { trades } = generate(20_000, now, 'regular');
    expect(new Set(trades.map(t => t.i)).size).toBe(trades.length);
    const seq = new Map<string, number>();
    let gaps = 0;
    for (const t of trades) {
      if (t.q !== (seq.get(t.sym) ?? 0) + 1) gaps++;
      seq.set(t.sym, t.q);
    }
    expect(gaps).toBe(0);
  });

  it('marks every print Form T out of regular hours', () => {
    const { trades } = generate(2000, now, 'extended');
    expect(trades.every(t => t.c?.[0] === 12)).toBe(true);
  });

  it('is deterministic for a seed', () => {
    const a = generate(3000, now, 'regular').frames;
    const b = generate(3000, now, 'regular').frames;
    expect(Buffer.concat(a).equals(Buffer.concat(b))).toBe(true);
  });
});
