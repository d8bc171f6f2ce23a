import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** universe-sync's Prometheus metrics; no label is per strategy or per ticker. */
export interface UniverseMetrics {
  /** Contract: STRAT:<id>:UNIV sets written or removed (by sync jobs and reconcile). */
  universeUpdates: Counter;
  syncJobs: Counter<'kind' | 'result'>;
  syncDuration: Histogram<'kind'>;
  universeSize: Histogram;
  reconcile: Counter<'outcome'>;
  reconcileRuns: Counter<'result'>;
  reconcileDuration: Histogram;
  reconcileConflicts: Counter;
  reconcileChecks: Counter<'method'>;
  invalidTickers: Counter;
  malformedRows: Counter<'path'>;
  notifications: Counter<'result'>;
  listenerConnects: Counter<'result'>;
  notifyTrigger: Gauge<'state'>;
  /** Alert-active strategies with an id below 1, as the last reconcile counted them. */
  invalidStrategyIds: Gauge;
  apiRequests: Counter<'method' | 'route' | 'status'>;
  errors: Counter<'where'>;
  queueJobs: Gauge<'state'>;
  /** Sampled Redis bytes of tickpulse's keys, by part (see footprint.ts). */
  footprint: Gauge<'part'>;
  /** REDIS_FOOTPRINT_BUDGET_BYTES, for the alert rule to compare against. */
  footprintBudget: Gauge;
}

/** Counter names the 5-minute summary line reports. */
export const SUMMARY_COUNTERS = [
  'tickpulse_universe_updates_total',
  'tickpulse_universe_sync_jobs_total',
  'tickpulse_universe_reconcile_total',
  'tickpulse_universe_invalid_tickers_total',
  'tickpulse_universe_malformed_rows_total',
  'tickpulse_universe_notifications_total',
  'tickpulse_universe_api_requests_total',
  'tickpulse_universe_errors_total',
] as const;

/**
 * Registers universe-sync's metrics.
 *
 * @param queueCounts read at scrape time for the queue-depth gauge.
 */
export function createUniverseMetrics(
  registry: Registry,
  queueCounts?: () => Promise<Record<string, number>>,
): UniverseMetrics {
  const registers = [registry];
  return {
    universeUpdates: new Counter({
      name: 'tickpulse_universe_updates_total',
      help: 'STRAT:<id>:UNIV sets written (replaced or created) or removed',
      registers,
    }),
    syncJobs: new Counter({
      name: 'tickpulse_universe_sync_jobs_total',
      help: 'universe-sync jobs finished, by kind (strategy, reconcile, unknown) and result (ok, invalid, error, deferred)',
      labelNames: ['kind', 'result'],
      registers,
    }),
    syncDuration: new Histogram({
      name: 'tickpulse_universe_sync_duration_seconds',
      help: 'Time to process one universe-sync job, by kind',
      labelNames: ['kind'],
      buckets: [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
        30, 60,
      ],
      registers,
    }),
    universeSize: new Histogram({
      name: 'tickpulse_universe_size_tickers',
      help: 'Tickers in each STRAT:<id>:UNIV set written',
      buckets: [1, 5, 10, 50, 100, 500, 1000, 5000, 10_000, 50_000],
      registers,
    }),
    reconcile: new Counter({
      name: 'tickpulse_universe_reconcile_total',
      help: 'Strategies examined by reconcile, by outcome (created, replaced, removed, unchanged); anything but unchanged is drift',
      labelNames: ['outcome'],
      registers,
    }),
    reconcileRuns: new Counter({
      name: 'tickpulse_universe_reconcile_runs_total',
      help: 'Reconcile runs, by result (ok, failed, deferred: another replica held the reconcile lease)',
      labelNames: ['result'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'tickpulse_universe_reconcile_duration_seconds',
      help: 'Duration of a complete reconcile run',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    reconcileConflicts: new Counter({
      name: 'tickpulse_universe_reconcile_conflicts_total',
      help: 'Reconcile batches re-read because a sync job wrote one of their keys meanwhile (WATCH)',
      registers,
    }),
    reconcileChecks: new Counter({
      name: 'tickpulse_universe_reconcile_checks_total',
      help: 'Strategies reconcile checked, by method: fingerprint (stored fingerprint and SCARD matched; members not compared) or members (full comparison)',
      labelNames: ['method'],
      registers,
    }),
    invalidTickers: new Counter({
      name: 'tickpulse_universe_invalid_tickers_total',
      help: 'alert_universe_full elements left out because they are not ticker symbols',
      registers,
    }),
    malformedRows: new Counter({
      name: 'tickpulse_universe_malformed_rows_total',
      help: 'Rows read whose alert_universe_full is not a 1-D text array (e.g. 2-D); their set is removed. By path (sync, reconcile)',
      labelNames: ['path'],
      registers,
    }),
    notifications: new Counter({
      name: 'tickpulse_universe_notifications_total',
      help: 'PostgreSQL notifications received, by result (enqueued, invalid, enqueue_failed; coalesced: its id was already waiting; reconcile: dropped in a flood past NOTIFY_MAX_PENDING, covered by one reconcile)',
      labelNames: ['result'],
      registers,
    }),
    listenerConnects: new Counter({
      name: 'tickpulse_universe_listener_connects_total',
      help: 'LISTEN connection attempts, by result (ok, failed)',
      labelNames: ['result'],
      registers,
    }),
    invalidStrategyIds: new Gauge({
      name: 'tickpulse_universe_invalid_strategy_ids',
      help: 'Alert-active strategies whose id is below 1 (never given a universe), counted by the last reconcile',
      registers,
    }),
    notifyTrigger: new Gauge({
      name: 'tickpulse_universe_notify_trigger',
      help: 'With LISTEN_NOTIFY=true: 1 for the notify trigger state last seen (installed, missing, disabled, other_channel, unknown); LISTEN runs only while installed',
      labelNames: ['state'],
      registers,
    }),
    apiRequests: new Counter({
      name: 'tickpulse_universe_api_requests_total',
      help: 'HTTP API requests, by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    errors: new Counter({
      name: 'tickpulse_universe_errors_total',
      help: 'Errors handled without stopping, by where they happened',
      labelNames: ['where'],
      registers,
    }),
    queueJobs: new Gauge({
      name: 'tickpulse_universe_queue_jobs',
      help: 'Jobs in the universe-sync queue, by state (read at scrape time)',
      labelNames: ['state'],
      registers,
      async collect() {
        if (!queueCounts) return;
        try {
          const counts = await queueCounts();
          for (const [state, n] of Object.entries(counts))
            this.set({ state }, n);
        } catch {
          // Redis away: keep the last values; readiness reports the outage.
        }
      },
    }),
    footprint: new Gauge({
      name: 'tickpulse_redis_footprint_bytes',
      help: "Redis bytes of tickpulse's keys by part (tick_upd, universes, last_buckets, fingerprints, ticks_queue, universe_sync_queue), sampled every REDIS_FOOTPRINT_INTERVAL",
      labelNames: ['part'],
      registers,
    }),
    footprintBudget: new Gauge({
      name: 'tickpulse_redis_footprint_budget_bytes',
      help: 'The configured budget of tickpulse_redis_footprint_bytes summed over its parts (REDIS_FOOTPRINT_BUDGET_BYTES)',
      registers,
    }),
  };
}
