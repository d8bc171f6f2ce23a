import {
  histogramBuckets,
  quantileBetween,
  sumOf,
  type PromSample,
} from '@tickpulse/service-kit';

/** The metrics the live status reads, by app (names are the apps' public metrics). */
export const STATUS_METRICS = {
  tradesReceived: 'tickpulse_ingest_trades_received_total',
  tradesEligible: 'tickpulse_ingest_trades_eligible_total',
  tickUpdates: 'tickpulse_tick_updates_total',
  freshness: 'tickpulse_tick_writer_freshness_seconds',
  universeUpdates: 'tickpulse_universe_updates_total',
} as const;

/** One scrape of every app plus the Redis/queue facts, at a moment. */
export interface Snapshot {
  atMs: number;
  /** Samples of all apps' /metrics, concatenated (names do not collide across apps). */
  samples: PromSample[];
  tickers: number;
  universes: number;
  queues: Record<string, { waiting: number; active: number; failed: number }>;
  /** Apps that did not answer /metrics. */
  down: string[];
}

const rate = (n: number): string =>
  n >= 10_000
    ? `${(n / 1000).toFixed(0)}k`
    : n >= 1000
      ? `${(n / 1000).toFixed(1)}k`
      : n.toFixed(0);

const ms = (seconds: number | null): string =>
  seconds === null ? '–' : `${Math.round(seconds * 1000)}ms`;

/** The compact one-line live status, from two consecutive snapshots. */
export function formatStatusLine(prev: Snapshot, now: Snapshot): string {
  const dt = Math.max((now.atMs - prev.atMs) / 1000, 0.001);
  const perSec = (name: string) =>
    Math.max(sumOf(now.samples, name) - sumOf(prev.samples, name), 0) / dt;
  const before = histogramBuckets(prev.samples, STATUS_METRICS.freshness);
  const after = histogramBuckets(now.samples, STATUS_METRICS.freshness);
  const queues = Object.entries(now.queues)
    .map(
      ([q, c]) =>
        `${q} ${c.waiting}w/${c.active}a${c.failed ? `/${c.failed}f` : ''}`,
    )
    .join(' ');
  const parts = [
    `trades/s ${rate(perSec(STATUS_METRICS.tradesReceived))}`,
    `eligible/s ${rate(perSec(STATUS_METRICS.tradesEligible))}`,
    `written/s ${rate(perSec(STATUS_METRICS.tickUpdates))}`,
    `fresh p50 ${ms(quantileBetween(before, after, 0.5))} p99 ${ms(quantileBetween(before, after, 0.99))}`,
    `queues ${queues || '–'}`,
    `synced ${sumOf(now.samples, STATUS_METRICS.universeUpdates)}`,
    `TICK:UPD ${now.tickers}`,
    `UNIV ${now.universes}`,
  ];
  if (now.down.length > 0) parts.push(`DOWN ${now.down.join(',')}`);
  return parts.join(' | ');
}
