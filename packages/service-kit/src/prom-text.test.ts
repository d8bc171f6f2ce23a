import {
  histogramBuckets,
  parsePromText,
  quantileBetween,
  sumOf,
} from './prom-text';

const TEXT = `# HELP tickpulse_x_total x
# TYPE tickpulse_x_total counter
tickpulse_x_total{reason="a"} 3
tickpulse_x_total{reason="b \\"q\\""} 4
tickpulse_up 1 1700000000000
lat_bucket{le="0.1"} 10
lat_bucket{le="0.2"} 30
lat_bucket{le="+Inf"} 40
lat_count 40
`;

describe('Prometheus text parsing', () => {
  const samples = parsePromText(TEXT);

  it('reads names, labels (with escapes) and values', () => {
    expect(sumOf(samples, 'tickpulse_x_total')).toBe(7);
    expect(sumOf(samples, 'tickpulse_x_total', { reason: 'b "q"' })).toBe(4);
    expect(sumOf(samples, 'tickpulse_up')).toBe(1);
    expect(sumOf(samples, 'missing')).toBe(0);
  });

  it('computes quantiles of what was observed between two scrapes', () => {
    const before = histogramBuckets(
      parsePromText(
        'lat_bucket{le="0.1"} 0\nlat_bucket{le="0.2"} 0\nlat_bucket{le="+Inf"} 0',
      ),
      'lat',
    );
    const after = histogramBuckets(samples, 'lat');
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.15);
    expect(quantileBetween(before, after, 0.25)).toBeCloseTo(0.1);
    expect(quantileBetween(before, after, 0.99)).toBe(0.2);
    expect(quantileBetween(after, after, 0.5)).toBeNull();
  });
});
