import { parsePromText } from '@tickpulse/service-kit';
import { formatStatusLine, type Snapshot } from './status-line';

const snap = (
  atMs: number,
  text: string,
  extra: Partial<Snapshot> = {},
): Snapshot => ({
  atMs,
  samples: parsePromText(text),
  tickers: 0,
  universes: 0,
  queues: {},
  down: [],
  ...extra,
});

describe('status line', () => {
  it('shows per-second rates, freshness percentiles, queues and key counts', () => {
    const prev = snap(
      0,
      [
        'tickpulse_ingest_trades_received_total 1000',
        'tickpulse_ingest_trades_eligible_total 400',
        'tickpulse_tick_updates_total 100',
        'tickpulse_tick_writer_freshness_seconds_bucket{le="0.1"} 0',
        'tickpulse_tick_writer_freshness_seconds_bucket{le="0.25"} 0',
        'tickpulse_tick_writer_freshness_seconds_bucket{le="+Inf"} 0',
      ].join('\n'),
    );
    const now = snap(
      5000,
      [
        'tickpulse_ingest_trades_received_total 51000',
        'tickpulse_ingest_trades_eligible_total 20400',
        'tickpulse_tick_updates_total 5100',
        'tickpulse_tick_writer_freshness_seconds_bucket{le="0.1"} 50',
        'tickpulse_tick_writer_freshness_seconds_bucket{le="0.25"} 100',
        'tickpulse_tick_writer_freshness_seconds_bucket{le="+Inf"} 100',
        'tickpulse_universe_updates_total 7',
      ].join('\n'),
      {
        tickers: 9876,
        universes: 5,
        queues: { ticks: { waiting: 1, active: 2, failed: 0 } },
        down: ['x'],
      },
    );
    const line = formatStatusLine(prev, now);
    expect(line).toContain('trades/s 10k');
    expect(line).toContain('eligible/s 4.0k');
    expect(line).toContain('written/s 1.0k');
    expect(line).toContain('fresh p50 100ms p99 247ms');
    expect(line).toContain('queues ticks 1w/2a');
    expect(line).toContain('synced 7');
    expect(line).toContain('TICK:UPD 9876');
    expect(line).toContain('UNIV 5');
    expect(line).toContain('DOWN x');
  });

  it('shows dashes when nothing was observed', () => {
    const line = formatStatusLine(snap(0, ''), snap(1000, ''));
    expect(line).toContain('fresh p50 – p99 –');
    expect(line).toContain('queues –');
  });
});
