import { isKnownMetric, metricNamesIn } from './promql.js';

describe('metricNamesIn', () => {
  it('finds selected metrics and ignores functions, labels, durations and keywords', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum without (instance, pod) (rate(tickpulse_x_seconds_bucket{le!="+Inf", job=~"a|b"}[5m]))) > 0.25 and on () up == 0',
      ).sort(),
    ).toEqual(['tickpulse_x_seconds_bucket', 'up']);
  });

  it('ignores Grafana variables and reads recorded series names', () => {
    expect(
      metricNamesIn(
        'sum(rate(${m_ticks}[$__rate_interval])) + tickpulse:tick_updates:rate5m',
      ),
    ).toEqual(['tickpulse:tick_updates:rate5m']);
  });
});

describe('isKnownMetric', () => {
  it('accepts assumed metrics and their histogram series, rejects others', () => {
    expect(isKnownMetric('tickpulse_tick_updates_total')).toBe(true);
    expect(
      isKnownMetric('tickpulse_tick_writer_freshness_seconds_bucket'),
    ).toBe(true);
    expect(isKnownMetric('up')).toBe(true);
    expect(isKnownMetric('tickpulse_made_up_total')).toBe(false);
    expect(isKnownMetric('node_cpu_seconds_total')).toBe(false);
  });
});
