import { histogramQuantile, quantile, summarize } from './stats.js';

describe('stats', () => {
  it('summarizes a sample', () => {
    const s = summarize([5, 1, 3, 2, 4]);
    expect(s).toEqual({ n: 5, median: 3, min: 1, max: 5, p25: 2, p75: 4 });
    expect(summarize([1, 2]).median).toBe(1.5);
    expect(quantile([10, 20, 30, 40], 1)).toBe(40);
    expect(Number.isNaN(summarize([]).median)).toBe(true);
  });

  it('interpolates histogram quantiles like histogram_quantile', () => {
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.2, count: 100 },
      { le: Infinity, count: 100 },
    ];
    expect(histogramQuantile(buckets, 0.5)).toBeCloseTo(0.1);
    expect(histogramQuantile(buckets, 0.75)).toBeCloseTo(0.15);
    expect(histogramQuantile(buckets, 0.25)).toBeCloseTo(0.05);
    // Falls into +Inf: the highest finite bound.
    expect(
      histogramQuantile(
        [
          { le: 0.1, count: 1 },
          { le: Infinity, count: 10 },
        ],
        0.99,
      ),
    ).toBe(0.1);
    expect(Number.isNaN(histogramQuantile([{ le: 1, count: 0 }], 0.5))).toBe(
      true,
    );
  });
});
