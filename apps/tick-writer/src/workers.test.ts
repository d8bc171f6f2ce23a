import { TICK_BATCH_KEEP_FAILED } from '@tickpulse/contracts';
import type { RedisClient } from '@tickpulse/redis';
import { createLogger, metricTotal } from '@tickpulse/service-kit';
import { UnrecoverableError } from 'bullmq';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createTickWriterMetrics } from './metrics';
import { RETENTION_JOB_NAME } from './retention';
import {
  createErrorReporting,
  maintenanceProcessor,
  ticksWorkerOptions,
} from './workers';

const connection = {} as RedisClient;

describe('ticksWorkerOptions', () => {
  it('passes the option group to BullMQ with the fallback job retention', () => {
    expect(
      ticksWorkerOptions(
        {
          concurrency: 3,
          lockDurationMs: 1000,
          stalledIntervalMs: 2000,
          maxStalledCount: 4,
          drainTimeoutMs: 5000,
        },
        connection,
        '{p}',
      ),
    ).toEqual({
      connection,
      prefix: '{p}',
      concurrency: 3,
      lockDuration: 1000,
      stalledInterval: 2000,
      maxStalledCount: 4,
      removeOnComplete: { count: 0 },
      removeOnFail: TICK_BATCH_KEEP_FAILED,
    });
  });
});

describe('maintenanceProcessor', () => {
  it('runs retention for a retention job', async () => {
    const run = jest.fn(async () => ({ cutoffMs: 1, removed: 2 }));
    await expect(
      maintenanceProcessor(run)({ name: RETENTION_JOB_NAME }),
    ).resolves.toEqual({ cutoffMs: 1, removed: 2 });
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('fails any other job for good, without running retention', async () => {
    const run = jest.fn(async () => ({ cutoffMs: 1, removed: 2 }));
    const outcome = maintenanceProcessor(run)({ name: 'surprise' });
    await expect(outcome).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(outcome).rejects.toThrow(/unknown maintenance job/);
    expect(run).not.toHaveBeenCalled();
  });
});

describe('createErrorReporting', () => {
  afterEach(() => jest.useRealTimers());

  function setup() {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n'))
          if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const log = createLogger({ service: 'test', level: 'debug', destination });
    const registry = new Registry();
    const metrics = createTickWriterMetrics(registry);
    return { lines, registry, report: createErrorReporting(metrics, log) };
  }

  it.each([
    ['worker error', 'workerError'],
    ['queue error', 'queueError'],
  ] as const)(
    'counts every %s and logs one line per 10 s with the rest held back',
    async (msg, kind) => {
      jest.useFakeTimers({ now: 1_000_000 });
      const { lines, registry, report } = setup();
      const onError = report[kind]('ticks');
      for (let i = 0; i < 5; i++) onError(new Error('connection lost'));
      jest.advanceTimersByTime(10_000);
      onError(new Error('connection lost'));

      expect(
        await metricTotal(registry, 'tickpulse_tick_writer_failures_total'),
      ).toBe(6);
      const warns = lines.filter(l => l.msg === msg);
      expect(warns.map(l => l.suppressed)).toEqual([0, 4]);
      expect(warns[0]?.queue).toBe('ticks');
    },
  );

  it('counts a stalled job under its own reason', async () => {
    const { lines, registry, report } = setup();
    report.stalled('42');
    const failures = await registry
      .getSingleMetric('tickpulse_tick_writer_failures_total')!
      .get();
    expect(failures.values).toEqual([
      expect.objectContaining({ labels: { reason: 'job_stalled' }, value: 1 }),
    ]);
    expect(lines.find(l => l.jobId === '42')).toBeDefined();
  });
});
