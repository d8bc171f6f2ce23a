import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Freshness SLO: a trade is in TICK:UPD within 250 ms; the buckets crowd around it. */
export const FRESHNESS_BUCKETS_S = [
  0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2, 5, 10, 30, 60,
  300,
];

/** One batch's pipelined ZADDs: sub-millisecond to a few ms normally; the tail shows a struggling Redis. */
export const WRITE_DURATION_BUCKETS_S = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Tickers per batch: a quiet flush carries a handful, a market-open flush thousands. */
export const BATCH_SIZE_BUCKETS = [
  1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000,
];

/** Why a batch or a side task failed (bounded label values). */
export type FailureReason =
  | 'invalid_job'
  | 'redis_write'
  | 'worker_error'
  | 'job_stalled'
  | 'retention'
  | 'queue_metrics';

/** Every metric tick-writer exports, registered on the given registry. */
export interface TickWriterMetrics {
  tickUpdates: Counter;
  membersChanged: Counter;
  batches: Counter<'result'>;
  batchSize: Histogram;
  writeDuration: Histogram;
  freshness: Histogram;
  failures: Counter<'reason'>;
  ticksRejected: Counter<'reason'>;
  queueJobs: Gauge<'queue' | 'state'>;
  redisCheck: Gauge<'check'>;
  retentionRemoved: Counter;
  retentionRuns: Counter<'result'>;
  retentionLastSuccess: Gauge;
}

/** Metric names the 5-minute summary reports. */
export const SUMMARY_COUNTERS = [
  'tickpulse_tick_updates_total',
  'tickpulse_tick_writer_members_changed_total',
  'tickpulse_tick_writer_batches_total',
  'tickpulse_tick_writer_failures_total',
  'tickpulse_tick_writer_ticks_rejected_total',
  'tickpulse_tick_writer_retention_removed_total',
] as const;

/**
 * Creates tick-writer's metrics. Queue depth is read per scrape by `collect`
 * (wired by the service, which owns the queues).
 */
export function createTickWriterMetrics(
  registry: Registry,
  collectQueueJobs?: (gauge: Gauge<'queue' | 'state'>) => Promise<void>,
): TickWriterMetrics {
  const registers = [registry];
  return {
    tickUpdates: new Counter({
      name: 'tickpulse_tick_updates_total',
      help: 'TICK:UPD members written: ticker/time pairs sent to Redis with ZADD GT (replays and late prints included; see tickpulse_tick_writer_members_changed_total)',
      registers,
    }),
    membersChanged: new Counter({
      name: 'tickpulse_tick_writer_members_changed_total',
      help: 'TICK:UPD members added or moved forward (ZADD GT CH reply); a replayed or late batch adds 0',
      registers,
    }),
    batches: new Counter({
      name: 'tickpulse_tick_writer_batches_total',
      help: 'ticks jobs processed, by result (written, invalid, error)',
      labelNames: ['result'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'tickpulse_tick_writer_batch_size_tickers',
      help: 'Tickers per valid ticks batch',
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    }),
    writeDuration: new Histogram({
      name: 'tickpulse_tick_writer_redis_write_duration_seconds',
      help: "Time to write one batch's pipelined ZADD TICK:UPD GT calls",
      buckets: WRITE_DURATION_BUCKETS_S,
      registers,
    }),
    freshness: new Histogram({
      name: 'tickpulse_tick_writer_freshness_seconds',
      help: 'At write time, now minus the newest trade time in the batch (SLO 0.25 s)',
      buckets: FRESHNESS_BUCKETS_S,
      registers,
    }),
    failures: new Counter({
      name: 'tickpulse_tick_writer_failures_total',
      help: 'Failures by reason: invalid_job (garbage ticks job, not retried), redis_write (batch write failed, retried), worker_error, job_stalled (lock lost, re-processed), retention, queue_metrics',
      labelNames: ['reason'],
      registers,
    }),
    ticksRejected: new Counter({
      name: 'tickpulse_tick_writer_ticks_rejected_total',
      help: 'Entries of valid ticks jobs left out of TICK:UPD, by reason (future: more than 10 s ahead of the local clock; ticker_cap: a new ticker while TICK:UPD holds TICK_WRITER_MAX_TICKERS); the rest of the batch is written',
      labelNames: ['reason'],
      registers,
    }),
    queueJobs: new Gauge({
      name: 'tickpulse_tick_writer_queue_jobs',
      help: 'Jobs per queue and state (getJobCounts at scrape time)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        if (collectQueueJobs) await collectQueueJobs(this);
      },
    }),
    redisCheck: new Gauge({
      name: 'tickpulse_tick_writer_redis_check',
      help: 'Start-up checks of the Redis server: 1 passed, 0 failed, -1 unknown (check: version, eviction_policy)',
      labelNames: ['check'],
      registers,
    }),
    retentionRemoved: new Counter({
      name: 'tickpulse_tick_writer_retention_removed_total',
      help: 'TICK:UPD members removed by the retention job (older than TICK_RETENTION_DAYS)',
      registers,
    }),
    retentionRuns: new Counter({
      name: 'tickpulse_tick_writer_retention_runs_total',
      help: 'Retention job runs in this process, by result (ok, error)',
      labelNames: ['result'],
      registers,
    }),
    retentionLastSuccess: new Gauge({
      name: 'tickpulse_tick_writer_retention_last_success_timestamp_seconds',
      help: 'Unix time of the last successful retention run in this process (0 = none yet)',
      registers,
    }),
  };
}
