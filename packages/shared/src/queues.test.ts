import { InvalidJobError } from './errors';
import {
  DEFAULT_JOB_OPTIONS,
  newestTick,
  parseTickBatch,
  parseUniverseSyncJob,
  TICK_BATCH_JOB_OPTIONS,
} from './queues';

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
  ])('rejects %j with a clear reason', (data, reason) => {
    expect(() => parseTickBatch(data)).toThrow(InvalidJobError);
    expect(() => parseTickBatch(data)).toThrow(reason);
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
  ])('rejects %j', data => {
    expect(() => parseUniverseSyncJob(data)).toThrow(InvalidJobError);
  });
});
