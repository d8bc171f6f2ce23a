import { quantile, summarize } from './stats.js';

describe('stats', () => {
  it('summarizes a sample', () => {
    const s = summarize([5, 1, 3, 2, 4]);
    expect(s).toEqual({ n: 5, median: 3, min: 1, max: 5, p25: 2, p75: 4 });
    expect(summarize([1, 2]).median).toBe(1.5);
    expect(quantile([10, 20, 30, 40], 1)).toBe(40);
    expect(Number.isNaN(summarize([]).median)).toBe(true);
  });
});
