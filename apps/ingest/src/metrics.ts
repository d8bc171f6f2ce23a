import type { Coalescer } from '@tickpulse/polygon';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Connection states, the values of the `state` label. */
export const CONNECTION_STATES = [
  'stopped',
  'connecting',
  'authenticating',
  'subscribing',
  'streaming',
  'backoff',
  'cooldown',
] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** Creates ingest's metrics in `registry`. */
export function createIngestMetrics(
  registry: Registry,
  coalescer: Pick<Coalescer, 'size' | 'known' | 'refused'>,
) {
  const registers = [registry];
  // Per-frame counts accumulated by the hot path (see ingest.ts), moved into
  // the counters below whenever any of them is read.
  const frameTotals = {
    frames: 0,
    received: 0,
    eligible: 0,
    unknownConditions: 0,
    ignored: 0,
    filtered: new Map<number, number>(),
  };
  const flushFrameTotals = () => {
    const t = frameTotals;
    if (t.frames) m.frames.inc(t.frames);
    if (t.received) m.received.inc(t.received);
    if (t.eligible) m.eligible.inc(t.eligible);
    if (t.unknownConditions) m.unknownConditions.inc(t.unknownConditions);
    if (t.ignored) m.ignored.inc(t.ignored);
    for (const [id, n] of t.filtered)
      m.filtered.inc({ condition: String(id) }, n);
    t.frames = t.received = t.eligible = t.unknownConditions = t.ignored = 0;
    t.filtered.clear();
  };
  const collect = flushFrameTotals;
  let refusedCounted = 0;
  const m = {
    frames: new Counter({
      name: 'tickpulse_ingest_frames_total',
      help: 'WebSocket frames received from Polygon',
      registers,
      collect,
    }),
    received: new Counter({
      name: 'tickpulse_ingest_trades_received_total',
      help: 'Trade events (ev "T") received, valid or not',
      registers,
      collect,
    }),
    eligible: new Counter({
      name: 'tickpulse_ingest_trades_eligible_total',
      help: 'Trades that passed validation and the condition policy and were coalesced',
      registers,
      collect,
    }),
    filtered: new Counter({
      name: 'tickpulse_ingest_trades_filtered_total',
      help: 'Trades excluded by the condition policy, by the excluding condition id',
      labelNames: ['condition'],
      registers,
      collect,
    }),
    invalid: new Counter({
      name: 'tickpulse_ingest_invalid_total',
      help: 'Frames and events skipped as invalid, by reason',
      labelNames: ['reason'],
      registers,
    }),
    unknownConditions: new Counter({
      name: 'tickpulse_ingest_unknown_conditions_total',
      help: 'Condition ids outside the reference table (allowed; revisit the table when this grows)',
      registers,
      collect,
    }),
    ignored: new Counter({
      name: 'tickpulse_ingest_events_ignored_total',
      help: 'Events of types ingest does not use (e.g. Q, A)',
      registers,
      collect,
    }),
    batches: new Counter({
      name: 'tickpulse_ingest_batches_published_total',
      help: 'Coalesced ticks jobs published',
      registers,
    }),
    tickersPublished: new Counter({
      name: 'tickpulse_ingest_tickers_published_total',
      help: 'Ticker entries in published ticks jobs',
      registers,
    }),
    publishFailures: new Counter({
      name: 'tickpulse_ingest_publish_failures_total',
      help: 'Failed or timed-out publishes (the batch was merged back) and queue-length reads',
      registers,
    }),
    heldBackFlushes: new Counter({
      name: 'tickpulse_ingest_flushes_held_back_total',
      help: 'Flushes that found the ticks queue at TICKS_MAX_PENDING_JOBS and kept merging instead of publishing (at most one per flush interval)',
      registers,
    }),
    heldBack: new Gauge({
      name: 'tickpulse_ingest_held_back',
      help: '1 while the ticks queue is at its cap and ingest holds its batch back',
      registers,
    }),
    publishSeconds: new Histogram({
      name: 'tickpulse_ingest_publish_duration_seconds',
      help: 'Time to add one ticks job',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    reconnects: new Counter({
      name: 'tickpulse_ingest_reconnects_total',
      help: 'Connection attempts after a previous connection ended',
      registers,
    }),
    disconnects: new Counter({
      name: 'tickpulse_ingest_disconnects_total',
      help: 'Polygon connections ended, by reason (closed, auth_timeout, read_timeout, silent, max_connections, fatal)',
      labelNames: ['reason'],
      registers,
    }),
    connectionState: new Gauge({
      name: 'tickpulse_ingest_connection_state',
      help: '1 for the current Polygon connection state, 0 for the others',
      labelNames: ['state'],
      registers,
    }),
    leader: new Gauge({
      name: 'tickpulse_ingest_leader',
      help: '1 when this replica holds the lease (and the Polygon connection)',
      registers,
    }),
    leaderTransitions: new Counter({
      name: 'tickpulse_ingest_leader_transitions_total',
      help: 'Lease acquired, lost, released (shutdown) or stepped down (stream not live)',
      labelNames: ['transition'],
      registers,
    }),
    statuses: new Counter({
      name: 'tickpulse_ingest_status_messages_total',
      help: 'Polygon status messages by status (unknown ones as "other")',
      labelNames: ['status'],
      registers,
    }),
    silentFeeds: new Counter({
      name: 'tickpulse_ingest_silent_feeds_total',
      help: 'Subscribed connections dropped for bringing no trade within DATA_IDLE_TIMEOUT_MS in the data window',
      registers,
    }),
    maxConnections: new Counter({
      name: 'tickpulse_ingest_max_connections_total',
      help: 'max_connections received: another connection of the account took over',
      registers,
    }),
    lag: new Histogram({
      name: 'tickpulse_ingest_trade_lag_seconds',
      help: 'now minus the newest trade time of each frame',
      buckets: [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
      ],
      registers,
    }),
    gaps: new Counter({
      name: 'tickpulse_ingest_gaps_total',
      help: 'Feed gaps handled (resubscribe after a loss of stream, start-up with a watermark, API), by backfill outcome',
      labelNames: ['outcome'],
      registers,
    }),
    gapSeconds: new Histogram({
      name: 'tickpulse_ingest_gap_duration_seconds',
      help: 'Length of each gap: from the watermark to the new subscription',
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
    healedTickers: new Counter({
      name: 'tickpulse_ingest_backfill_tickers_total',
      help: 'Tickers healed by backfill, by source (snapshot lastTrade or /v3/trades)',
      labelNames: ['source'],
      registers,
    }),
    restRequests: new Counter({
      name: 'tickpulse_ingest_rest_requests_total',
      help: 'Polygon REST attempts by endpoint and outcome (HTTP status, timeout, network, malformed)',
      labelNames: ['endpoint', 'status'],
      registers,
    }),
    backfillSeconds: new Histogram({
      name: 'tickpulse_ingest_backfill_duration_seconds',
      help: 'Time from the start of a backfill to its last healed tick handed to the publisher',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    backfillRunning: new Gauge({
      name: 'tickpulse_ingest_backfill_running',
      help: '1 while a backfill runs (more gaps during it are merged into one follow-up run)',
      registers,
    }),
    watermarkFailures: new Counter({
      name: 'tickpulse_ingest_watermark_failures_total',
      help: 'Watermark reads or writes that failed (the gap start then comes from memory, or is older)',
      registers,
    }),
    pending: new Gauge({
      name: 'tickpulse_ingest_pending_tickers',
      help: 'Tickers waiting to be published',
      registers,
      collect() {
        this.set(coalescer.size);
      },
    }),
    knownTickers: new Gauge({
      name: 'tickpulse_ingest_known_tickers',
      help: 'Distinct tickers accepted since start (at most MAX_TICKERS)',
      registers,
      collect() {
        this.set(coalescer.known);
      },
    }),
    refusedTickers: new Counter({
      name: 'tickpulse_ingest_tickers_refused_total',
      help: 'Trades and healed ticks dropped because their ticker was new and MAX_TICKERS tickers were already known',
      registers,
      collect() {
        const seen = coalescer.refused;
        if (seen > refusedCounted) this.inc(seen - refusedCounted);
        refusedCounted = seen;
      },
    }),
    oversizedFlushes: new Counter({
      name: 'tickpulse_ingest_split_flushes_total',
      help: 'Publishes that left tickers pending because more than TICKS_JOB_MAX_TICKERS were pending (the rest goes in the next job)',
      registers,
    }),
  };
  for (const s of CONNECTION_STATES)
    m.connectionState.set({ state: s }, s === 'stopped' ? 1 : 0);
  m.leader.set(0);
  m.heldBack.set(0);
  return Object.assign(m, { frameTotals, flushFrameTotals });
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

/** Counters in the 5-minute summary line. */
export const SUMMARY_COUNTERS = [
  'tickpulse_ingest_frames_total',
  'tickpulse_ingest_trades_received_total',
  'tickpulse_ingest_trades_eligible_total',
  'tickpulse_ingest_trades_filtered_total',
  'tickpulse_ingest_invalid_total',
  'tickpulse_ingest_batches_published_total',
  'tickpulse_ingest_tickers_published_total',
  'tickpulse_ingest_publish_failures_total',
  'tickpulse_ingest_flushes_held_back_total',
  'tickpulse_ingest_tickers_refused_total',
  'tickpulse_ingest_reconnects_total',
  'tickpulse_ingest_silent_feeds_total',
  'tickpulse_ingest_max_connections_total',
  'tickpulse_ingest_gaps_total',
  'tickpulse_ingest_backfill_tickers_total',
  'tickpulse_ingest_rest_requests_total',
] as const;
