import { createCoalescer } from './coalescer';
import { BACKEND_POLICY, SIP_LAST_POLICY } from './policy';
import { createTradeProcessor } from './processor';

const NOW = 1_752_586_201_000;
const trade = (sym: string, t: number, c?: number[]) =>
  JSON.stringify({
    ev: 'T',
    sym,
    x: 4,
    i: '1',
    z: 3,
    p: 1.5,
    s: 10,
    ...(c ? { c } : {}),
    t,
    q: 1,
  });

describe('trade processor', () => {
  it('keeps only eligible trades and the newest time per ticker', () => {
    const coalescer = createCoalescer();
    const proc = createTradeProcessor({ policy: SIP_LAST_POLICY, coalescer });
    const frame = `[${[
      trade('AAPL', NOW - 300),
      trade('AAPL', NOW - 100, [37]), // odd lot: not last-eligible
      trade('AAPL', NOW - 200, [14, 41]),
      trade('MSFT', NOW - 50, [12]), // Form T
      trade('MSFT', NOW - 900, [60]),
      trade('IBM', NOW + 60_000), // future
      trade('IBM', NOW - 7, [1000]), // unknown id: allowed, counted
    ].join(',')}]`;
    const r = proc.processFrame(frame, NOW);
    expect(Object.fromEntries(coalescer.drain())).toEqual({
      AAPL: NOW - 200,
      MSFT: NOW - 900,
      IBM: NOW - 7,
    });
    expect(r.received).toBe(7);
    expect(r.eligible).toBe(4);
    expect(r.filtered).toEqual(
      new Map([
        [37, 1],
        [12, 1],
      ]),
    );
    expect(r.invalid).toEqual({ future_timestamp: 1 });
    expect(r.unknownConditions).toBe(1);
    expect(r.newestMs).toBe(NOW - 7);
  });

  it('follows the backend policy: Form T updates, odd lots do not', () => {
    const coalescer = createCoalescer();
    const proc = createTradeProcessor({ policy: BACKEND_POLICY, coalescer });
    proc.processFrame(
      `[${trade('MSFT', NOW - 50, [12])},${trade('MSFT', NOW, [37])}]`,
      NOW,
    );
    expect(Object.fromEntries(coalescer.drain())).toEqual({ MSFT: NOW - 50 });
  });

  it('normalises ns and µs times and rejects ancient ones', () => {
    const coalescer = createCoalescer();
    const proc = createTradeProcessor({
      policy: BACKEND_POLICY,
      coalescer,
      bounds: { futureToleranceMs: 1000, maxAgeMs: 60_000 },
    });
    const r = proc.processFrame(
      `[${trade('A', (NOW - 5) * 1000)},${trade('B', NOW * 1e6 - 3e6)},${trade('C', NOW - 61_000)},${trade('D', 12345)}]`,
      NOW,
    );
    expect(Object.fromEntries(coalescer.drain())).toEqual({
      A: NOW - 5,
      B: NOW - 3,
    });
    expect(r.invalid).toEqual({ stale_timestamp: 1, bad_timestamp: 1 });
  });

  it('never throws on garbage and keeps received = eligible + filtered + invalid trades', () => {
    const coalescer = createCoalescer();
    const proc = createTradeProcessor({ policy: SIP_LAST_POLICY, coalescer });
    for (const f of [
      '',
      'null',
      '{',
      '[[[',
      Buffer.from([0xff, 0xfe]),
      '[{"ev":"T"}]',
    ]) {
      expect(() => proc.processFrame(f, NOW)).not.toThrow();
    }
    const r = proc.processFrame(
      `[${trade('A', NOW)},{"ev":"T","sym":"A"},${trade('a', NOW)},${trade('B', NOW, [37])}]`,
      NOW,
    );
    const invalidTrades = Object.values(r.invalid ?? {}).reduce(
      (a, b) => a + b,
      0,
    );
    const filtered = [...(r.filtered?.values() ?? [])].reduce(
      (a, b) => a + b,
      0,
    );
    expect(r.received).toBe(4);
    expect(r.eligible + filtered + invalidTrades).toBe(r.received);
  });

  it('counts trades of tickers past the cap as refused, not eligible', () => {
    const coalescer = createCoalescer({ maxTickers: 1 });
    const proc = createTradeProcessor({ policy: SIP_LAST_POLICY, coalescer });
    const r = proc.processFrame(
      `[${trade('AAPL', NOW - 10)},${trade('ZZZZ', NOW - 5)},${trade('AAPL', NOW - 1)}]`,
      NOW,
    );
    expect(r.received).toBe(3);
    expect(r.eligible).toBe(2);
    expect(r.refused).toBe(1);
    expect(Object.fromEntries(coalescer.drain())).toEqual({ AAPL: NOW - 1 });
  });
});
