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
});
