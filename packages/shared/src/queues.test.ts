import { InvalidJobError } from './errors';
import {
  DEFAULT_JOB_OPTIONS,
  JOB_NAMES,
  newestTick,
  parseTickBatch,
  parseUniverseSyncJob,
  QUEUE_NAMES,
  TICK_BATCH_JOB_OPTIONS,
} from './queues';

// Queue and job names are a contract between separately deployed producers and
// consumers (an old ingest and a new tick-writer during a rolling deploy): a
// rename strands every queued job. Pinned like the Redis keys.
describe('queue and job names', () => {
  it('are exactly these', () => {
    expect(QUEUE_NAMES).toEqual({
      ticks: 'ticks',
      universeSync: 'universe-sync',
      tickMaintenance: 'tick-maintenance',
    });
    expect(JOB_NAMES).toEqual({
      tickBatch: 'tick-batch',
      syncStrategy: 'sync-strategy',
      reconcile: 'reconcile',
      retention: 'tick-upd-retention',
    });
  });
});

describe('ticks job contract', () => {
  it('accepts a well-formed batch', () => {
    const batch = {
      v: 1,
      ticks: { AAPL: 1752586200412, 'BRK.A': 1752586200999 },
    };
    expect(parseTickBatch(batch)).toEqual(batch);
    expect(newestTick(parseTickBatch(batch))).toBe(1752586200999);
  });

  it.each([
    [null, 'not an object'],
    [[1, 2], 'not an object'],
    [{ v: 2, ticks: {} }, 'unsupported version'],
    [{ v: 1, ticks: [] }, 'ticks is not an object'],
    [{ v: 1, ticks: { aapl: 1752586200412 } }, 'invalid ticker'],
    [{ v: 1, ticks: { AAPL: '1752586200412' } }, 'invalid time'],
    [{ v: 1, ticks: { AAPL: 1752586200 } }, 'invalid time'],
    [{ v: 1, ticks: { AAPL: 1.5e18 } }, 'invalid time'],
    [{ v: 1, ticks: { AAPL: 1752586200412.5 } }, 'invalid time'],
    [{ v: 1, ticks: {}, extra: true }, 'unknown field(s) "extra"'],
    [{ v: 1, ticks: {}, a: 1, b: 2, c: 3, d: 4 }, '"a", "b", "c", … 1 more'],
  ])('rejects %j with a clear reason', (data, reason) => {
    expect(() => parseTickBatch(data)).toThrow(InvalidJobError);
    expect(() => parseTickBatch(data)).toThrow(reason);
  });

  it('quotes at most a bounded part of an invalid ticker', () => {
    const huge = 'x'.repeat(1_000_000);
    expect(() => parseTickBatch({ v: 1, ticks: { [huge]: 1 } })).toThrow(
      `invalid ticker "${'x'.repeat(64)}"…(1000000 chars)`,
    );
    expect(() => parseTickBatch({ v: 1, ticks: {}, [huge]: 1 })).toThrow(
      /unknown field\(s\) "x{40}"…\(1000000 chars\)$/,
    );
  });

  it('retries a batch write with backoff and keeps the removal policy', () => {
    expect(TICK_BATCH_JOB_OPTIONS.attempts).toBeGreaterThan(1);
    expect(TICK_BATCH_JOB_OPTIONS.backoff).toEqual({
      type: 'exponential',
      delay: 500,
    });
    expect(TICK_BATCH_JOB_OPTIONS.removeOnComplete).toBe(
      DEFAULT_JOB_OPTIONS.removeOnComplete,
    );
    // Few failed batches, each at most one entry per ticker: a poison stream stays small.
    expect(TICK_BATCH_JOB_OPTIONS.removeOnFail).toEqual({
      age: 24 * 3600,
      count: 10,
    });
  });

  it('has no newest tick for an empty batch', () => {
    expect(newestTick({ v: 1, ticks: {} })).toBeNull();
  });
});

describe('universe-sync job contract', () => {
  it('accepts a strategy sync and a reconcile', () => {
    expect(
      parseUniverseSyncJob({
        kind: 'strategy',
        strategyId: 42,
        reason: 'edit',
      }),
    ).toEqual({
      kind: 'strategy',
      strategyId: 42,
      reason: 'edit',
    });
    expect(
      parseUniverseSyncJob({ kind: 'reconcile', reason: 'startup' }).kind,
    ).toBe('reconcile');
  });

  it.each([
    [{ kind: 'strategy', strategyId: '42', reason: 'x' }],
    [{ kind: 'strategy', strategyId: 0, reason: 'x' }],
    [{ kind: 'strategy', strategyId: 4.2, reason: 'x' }],
    [{ kind: 'strategy', strategyId: 42, reason: '' }],
    [{ kind: 'nuke' }],
    ['garbage'],
    [{ kind: 'strategy', strategyId: 42, reason: 'x', priority: 1 }],
    [{ kind: 'reconcile', reason: 'x', full: true }],
  ])('rejects %j', data => {
    expect(() => parseUniverseSyncJob(data)).toThrow(InvalidJobError);
  });

  it('bounds the reason of a job with a huge unknown field', () => {
    let message = '';
    try {
      parseUniverseSyncJob({
        kind: 'reconcile',
        reason: 'x',
        ['k'.repeat(1_000_000)]: 1,
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid universe-sync job: .*Unrecognized key/s);
    expect(message.length).toBeLessThan(600);
  });
});
