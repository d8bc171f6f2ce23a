import { createCoalescer } from './coalescer';

describe('coalescer', () => {
  it('keeps the newest timestamp per ticker', () => {
    const c = createCoalescer();
    c.add('AAPL', 10);
    c.add('AAPL', 30);
    c.add('AAPL', 20);
    c.add('MSFT', 5);
    expect([...c.drain()]).toEqual([
      ['AAPL', 30],
      ['MSFT', 5],
    ]);
  });
  it('drain returns the map and starts empty', () => {
    const c = createCoalescer();
    c.add('A', 1);
    const first = c.drain();
    expect(c.size).toBe(0);
    c.add('B', 2);
    expect([...first]).toEqual([['A', 1]]);
    expect([...c.drain()]).toEqual([['B', 2]]);
  });
  it('mergeBack keeps the maximum of the returned batch and newer trades', () => {
    const c = createCoalescer();
    c.add('A', 10);
    c.add('B', 10);
    const failed = c.drain();
    c.add('A', 5); // older than the failed batch
    c.add('B', 50); // newer
    c.add('C', 1);
    c.mergeBack(failed);
    expect(Object.fromEntries(c.drain())).toEqual({ A: 10, B: 50, C: 1 });
  });
  it('stays bounded by the number of tickers across repeated failures', () => {
    const c = createCoalescer();
    for (let round = 0; round < 100; round++) {
      for (let k = 0; k < 50; k++) c.add(`T${k}`, round * 100 + k);
      c.mergeBack(c.drain());
    }
    expect(c.size).toBe(50);
    expect(c.drain().get('T7')).toBe(9907);
  });

  describe('with a ticker cap', () => {
    it('refuses new tickers past the cap and never evicts known ones', () => {
      const c = createCoalescer({ maxTickers: 3 });
      expect(c.add('AAPL', 1)).toBe(true);
      expect(c.add('MSFT', 1)).toBe(true);
      expect(c.add('IBM', 1)).toBe(true);
      c.drain();
      // A flood of new symbols after the cap is reached: none gets in.
      for (let k = 0; k < 1000; k++) expect(c.add(`X${k}`, 2)).toBe(false);
      expect(c.add('X0', 3)).toBe(false);
      // Known tickers keep updating although nothing of theirs is pending.
      expect(c.add('MSFT', 5)).toBe(true);
      expect(c.add('AAPL', 6)).toBe(true);
      expect(Object.fromEntries(c.drain())).toEqual({ MSFT: 5, AAPL: 6 });
      expect(c.known).toBe(3);
      expect(c.refused).toBe(1001);
      expect(c.refusedTickers).toBe(1000);
    });

    it('takes at most max tickers per batch and leaves the rest pending', () => {
      const c = createCoalescer({ maxTickers: 10 });
      for (let k = 0; k < 7; k++) c.add(`T${k}`, 100 + k);
      const first = c.take(3);
      expect([...first.keys()]).toEqual(['T0', 'T1', 'T2']);
      expect(c.size).toBe(4);
      c.add('T0', 500);
      const rest = c.take(10);
      expect(Object.fromEntries(rest)).toEqual({
        T3: 103,
        T4: 104,
        T5: 105,
        T6: 106,
        T0: 500,
      });
      expect(c.size).toBe(0);
    });

    it('keeps the refused-ticker memory bounded by the cap', () => {
      const c = createCoalescer({ maxTickers: 2 });
      c.add('A', 1);
      c.add('B', 1);
      for (let k = 0; k < 10; k++) c.add(`Z${k}`, 1);
      // Past the remembered bound a repeat counts again: an upper estimate.
      c.add('Z9', 1);
      expect(c.refusedTickers).toBe(11);
      c.add('Z0', 1);
      expect(c.refusedTickers).toBe(11);
    });
  });
});
