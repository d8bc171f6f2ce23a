import {
  type Coalescer,
  createTradeProcessor,
  DEFAULT_FRAME_BOUNDS,
  type StatusEvent,
  type TradeProcessor,
} from '@tickpulse/polygon';
import {
  type Logger,
  QUEUE_NAMES,
  type RedisClient,
  withDeadline,
  logEvery,
} from '@tickpulse/shared';
import { Queue } from 'bullmq';
import type { IngestConfig } from './config.js';
import {
  createFrameAccounting,
  createTickerCapNotice,
} from './frame-accounting.js';
import type { IngestMetrics } from './metrics.js';
import { tradeBounds } from './options.js';
import { countPendingJobs, createQueueCap } from './queue-cap.js';
import { createTickPublisher, type TickPublisher } from './tick-publisher.js';

/** Frames and healed trades in, coalesced batches out on the `ticks` queue. */
export interface TickPipeline {
  readonly processor: TradeProcessor;
  readonly publisher: TickPublisher;
  /** One WebSocket frame: what the Polygon client needs back from it. */
  onFrame(data: Buffer): { statuses: StatusEvent[]; trades: number };
  /** A trade time from a REST backfill. */
  add(ticker: string, ms: number): void;
  /** Closes the queue; after the publisher has drained. */
  close(): Promise<void>;
}

/**
 * Wires processor → coalescer → publisher and the per-frame accounting.
 *
 * @param deps.redis the producer connection the `ticks` queue uses.
 * @param deps.onPublished each batch once it is on the queue.
 * @param deps.onRead the newest trade time of each frame, capped at now.
 */
export function createTickPipeline(deps: {
  config: IngestConfig;
  log: Logger;
  logger: Logger;
  metrics: IngestMetrics;
  coalescer: Coalescer;
  redis: RedisClient;
  onPublished: (batch: ReadonlyMap<string, number>) => void;
  onRead: (ms: number) => void;
}): TickPipeline {
  const { config, log, coalescer } = deps;
  const frameBounds = {
    ...DEFAULT_FRAME_BOUNDS,
    maxBytes: config.MAX_FRAME_BYTES,
  };
  const processor = createTradeProcessor({
    policy: config.CONDITION_POLICY,
    coalescer,
    bounds: tradeBounds(config),
    frameBounds,
  });
  const queue = new Queue(QUEUE_NAMES.ticks, {
    connection: deps.redis,
    prefix: config.BULLMQ_PREFIX,
  });
  const warnQueue = logEvery(10_000);
  queue.on('error', err =>
    warnQueue(suppressed => log.warn({ err, suppressed }, 'ticks queue error')),
  );
  const publisher = createTickPublisher({
    coalescer,
    queue,
    cap: createQueueCap({
      max: config.TICKS_MAX_PENDING_JOBS,
      recheckMs: config.FLUSH_INTERVAL_MS,
      count: () =>
        withDeadline(
          countPendingJobs(queue),
          config.PUBLISH_TIMEOUT_MS,
          'ticks queue count',
        ),
    }),
    intervalMs: config.FLUSH_INTERVAL_MS,
    timeoutMs: config.PUBLISH_TIMEOUT_MS,
    maxJobTickers: config.TICKS_JOB_MAX_TICKERS,
    logger: deps.logger,
    metrics: deps.metrics,
    onPublished: deps.onPublished,
  });
  const noteRefused = createTickerCapNotice({
    log,
    maxTickers: config.MAX_TICKERS,
    coalescer,
  });
  const account = createFrameAccounting({
    metrics: deps.metrics,
    log,
    frameBounds,
    onTickersRefused: noteRefused,
    onRead: deps.onRead,
  });

  return {
    processor,
    publisher,
    onFrame: data => {
      const now = Date.now();
      const r = processor.processFrame(data, now);
      const trades = account(r, data.length, now);
      if (coalescer.size >= config.FLUSH_MAX_TICKERS) void publisher.flush();
      return { statuses: r.statuses, trades };
    },
    add: (ticker, ms) => {
      if (!coalescer.add(ticker, ms)) noteRefused(Date.now());
    },
    close: () =>
      queue.close().catch(err => log.warn({ err }, 'closing the queue failed')),
  };
}
