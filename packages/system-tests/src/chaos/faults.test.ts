import { metricCounter } from './evidence';
import { runsIn } from './fault';
import { CHAOS_FAULTS } from './faults';

// The table is the suite's contract with the report and the README: these
// pin which faults run in which mode and in what order, without processes.
const names = (mode: 'full' | 'short') =>
  CHAOS_FAULTS.filter(f => runsIn(f, mode)).map(f => f.name);

const SHARED = [
  'redis-restart',
  'postgres-down-during-syncs',
  'postgres-down-during-reconcile',
  'feed-drop',
  'rest-failing-during-backfill',
  'feed-stall',
  'feed-max-connections',
  'feed-malformed',
  'feed-future-timestamps',
  'garbage-jobs',
  'enqueue-flood',
  'ingest-leader-sigkill',
  'tick-writer-sigkill',
  'universe-sync-sigkill',
  'hostile-feed',
  'notify-flood',
];

// Appended after the mode-specific ones: Redis loses its data, then the
// secret check with wrong and rotated Redis passwords.
const LATE = [
  'redis-flushall',
  'redis-restart-empty',
  'redis-wrong-password',
  'redis-password-rotated',
];

describe('CHAOS_FAULTS', () => {
  it('has unique kebab-case names and a description for each', () => {
    const all = CHAOS_FAULTS.map(f => f.name);
    expect(new Set(all).size).toBe(all.length);
    for (const f of CHAOS_FAULTS) {
      expect(f.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(f.what.length).toBeGreaterThan(10);
    }
  });

  it('runs every fault kind in the full run, then the standby kill, tick-writer down at full rate, a rolling restart of every app and a second Redis restart', () => {
    expect(names('full')).toEqual([
      ...SHARED,
      'ingest-standby-sigkill',
      'tick-writer-down-full-rate',
      'tick-writer-sigterm',
      'universe-sync-sigterm',
      'ingest-a-sigterm',
      'ingest-b-sigterm',
      'redis-restart-2',
      ...LATE,
    ]);
  });

  it('runs every fault kind once in the short run, with tick-writer down at full rate, SIGTERM of tick-writer and the ingest leader', () => {
    expect(names('short')).toEqual([
      ...SHARED,
      'tick-writer-down-full-rate',
      'tick-writer-sigterm',
      'ingest-leader-sigterm',
      ...LATE,
    ]);
  });
});

describe('metricCounter', () => {
  it('labels a counter as operators grep it: without tickpulse_, with the label filter', () => {
    const c = metricCounter(
      'ingest',
      'tickpulse_ingest_invalid_total',
      { reason: 'future_timestamp' },
      50,
    );
    expect(c.label).toBe('ingest_invalid_total{reason=future_timestamp}');
    expect(c.min).toBe(50);
    expect(
      metricCounter('ingest', 'tickpulse_ingest_reconnects_total').label,
    ).toBe('ingest_reconnects_total');
  });
});
