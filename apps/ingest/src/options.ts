import { redactUrl } from '@tickpulse/service-kit';
import type { IngestConfig } from './config.js';
import { inDataWindow } from './data-window.js';
import type { GapHealerOptions } from './gap-healer.js';
import type { ClientTimings } from './polygon-client.js';
import type { LeadershipOptions } from './ingest-leadership.js';
import type { RestClientOptions } from './rest-client.js';
import type { TickPipelineOptions } from './tick-pipeline.js';

/**
 * Attempts per Polygon REST request (retries on 429, 5xx, timeouts and
 * malformed bodies). Not a setting: every attempt also takes one of the
 * gap's `BACKFILL_REQUEST_BUDGET`, which is what bounds a gap's traffic.
 */
export const REST_ATTEMPTS = 4;

/**
 * Everything ingest's root needs from config, as camelCase option groups:
 * the env names stop here, so no module below the root reads one.
 */
export function ingestOptions(config: IngestConfig) {
  return {
    keyPrefix: config.REDIS_KEY_PREFIX,
    maxTickers: config.MAX_TICKERS,
    conditionPolicy: config.CONDITION_POLICY,
    tradeBounds: tradeBounds(config),
    rest: restSettings(config),
    gapHealer: gapHealerOptions(config),
    pipeline: tickPipelineOptions(config),
    polygon: polygonConnection(config),
    leadership: leadershipOptions(config),
    summaryIntervalMs: config.SUMMARY_INTERVAL,
    shutdownFlushMs: config.SHUTDOWN_FLUSH_MS,
    startup: startupSummary(config),
  };
}

/** The REST client's options; `onResponse` is the caller's. */
export function restClientOptions(
  config: IngestConfig,
  onResponse: RestClientOptions['onResponse'],
): RestClientOptions {
  return { ...restSettings(config), onResponse };
}

function restSettings(
  config: IngestConfig,
): Omit<RestClientOptions, 'onResponse'> {
  return {
    baseUrl: config.POLYGON_REST_URL,
    apiKey: config.POLYGON_API_KEY,
    timeoutMs: config.BACKFILL_REQUEST_TIMEOUT_MS,
    maxBodyBytes: config.BACKFILL_MAX_BODY_BYTES,
    attempts: REST_ATTEMPTS,
    retryMinMs: config.BACKFILL_RETRY_MIN_MS,
    // As documented beside BACKFILL_RETRY_MIN_MS: doubling up to 8×.
    retryMaxMs: config.BACKFILL_RETRY_MIN_MS * 8,
  };
}

/** How far a trade time may lie from now and still count. */
export function tradeBounds(config: IngestConfig) {
  return {
    futureToleranceMs: config.TRADE_FUTURE_TOLERANCE_MS,
    maxAgeMs: config.TRADE_MAX_AGE_MS,
  };
}

/** The gap healer's options. */
export function gapHealerOptions(config: IngestConfig): GapHealerOptions {
  return {
    enabled: config.BACKFILL_ENABLED,
    concurrency: config.BACKFILL_CONCURRENCY,
    budget: config.BACKFILL_REQUEST_BUDGET,
    maxGapMs: config.BACKFILL_MAX_GAP_MS,
    marginMs: config.BACKFILL_MARGIN_MS,
  };
}

/** The Polygon client's connection settings. */
export function polygonConnection(config: IngestConfig) {
  return {
    url: config.POLYGON_WS_URL,
    apiKey: config.POLYGON_API_KEY,
    subscriptions: config.POLYGON_SUBSCRIPTIONS,
    maxFrameBytes: config.MAX_FRAME_BYTES,
    timings: {
      pingIntervalMs: config.PING_INTERVAL_MS,
      readTimeoutMs: config.READ_TIMEOUT_MS,
      authTimeoutMs: config.AUTH_TIMEOUT_MS,
      reconnectMinMs: config.RECONNECT_MIN_MS,
      reconnectMaxMs: config.RECONNECT_MAX_MS,
      healthyAfterMs: config.HEALTHY_AFTER_MS,
      maxConnectionsCooldownMs: config.MAX_CONNECTIONS_COOLDOWN_MS,
      dataIdleTimeoutMs: config.DATA_IDLE_TIMEOUT_MS,
    } satisfies ClientTimings,
    inDataWindow: (now: number) => inDataWindow(config.DATA_WINDOW, now),
  };
}

/** Frames in, `ticks` jobs out. */
export function tickPipelineOptions(config: IngestConfig): TickPipelineOptions {
  return {
    maxFrameBytes: config.MAX_FRAME_BYTES,
    conditionPolicy: config.CONDITION_POLICY,
    tradeBounds: tradeBounds(config),
    queuePrefix: config.BULLMQ_PREFIX,
    maxPendingJobs: config.TICKS_MAX_PENDING_JOBS,
    flushIntervalMs: config.FLUSH_INTERVAL_MS,
    flushMaxTickers: config.FLUSH_MAX_TICKERS,
    publishTimeoutMs: config.PUBLISH_TIMEOUT_MS,
    jobMaxTickers: config.TICKS_JOB_MAX_TICKERS,
    maxTickers: config.MAX_TICKERS,
  };
}

/** The lease, step-down and data-loss rebuild settings. */
export function leadershipOptions(config: IngestConfig): LeadershipOptions {
  return {
    leaseTtlMs: config.LEASE_TTL_MS,
    leasePollMs: config.LEASE_POLL_MS,
    stepDownAfterMs: config.LEADER_STEP_DOWN_AFTER_MS,
    // Three polls: long enough that a standby's poll wins the free lease.
    stepDownCooldownMs: 3 * config.LEASE_POLL_MS,
    rebuildSinceMs: config.BACKFILL_MAX_GAP_MS,
  };
}

/** The fields of the 'ingest started' log line (the URL without secrets). */
export function startupSummary(config: IngestConfig) {
  return {
    url: redactUrl(config.POLYGON_WS_URL),
    simulator: config.usingSimulator,
    subscriptions: config.POLYGON_SUBSCRIPTIONS,
    policy: config.CONDITION_POLICY.name,
    excluded: config.CONDITION_POLICY.excluded,
    flushIntervalMs: config.FLUSH_INTERVAL_MS,
    maxPendingJobs: config.TICKS_MAX_PENDING_JOBS,
    maxTickers: config.MAX_TICKERS,
  };
}
