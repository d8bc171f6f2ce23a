import {
  type Coalescer,
  type ConditionPolicy,
  createTradeProcessor,
  DEFAULT_FRAME_BOUNDS,
  type StatusEvent,
  type TradeProcessor,
} from '@tickpulse/polygon';
import { QUEUE_NAMES } from '@tickpulse/contracts';
import { type RedisClient } from '@tickpulse/redis';
import { type Logger, withDeadline, logEvery } from '@tickpulse/service-kit';
import { Queue } from 'bullmq';
import {
  createFrameAccounting,
  createTickerCapNotice,
} from './frame-accounting.js';
import type { IngestMetrics } from './metrics.js';
import { countPendingJobs, createQueueCap } from './queue-cap.js';
import { createTickPublisher, type TickPublisher } from './tick-publisher.js';

/** What the pipeline is built with (see `tickPipelineOptions`). */
export interface TickPipelineOptions {
  maxFrameBytes: number;
  conditionPolicy: ConditionPolicy;
  tradeBounds: { futureToleranceMs: number; maxAgeMs: number };
  /** BullMQ's key prefix for the `ticks` queue. */
  queuePrefix: string;
  maxPendingJobs: number;
  flushIntervalMs: number;
  /** A frame that leaves this many tickers pending flushes at once. */
  flushMaxTickers: number;
  publishTimeoutMs: number;
  jobMaxTickers: number;
  maxTickers: number;
}

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
  options: TickPipelineOptions;
  log: Logger;
  logger: Logger;
  metrics: IngestMetrics;
  coalescer: Coalescer;
  redis: RedisClient;
  onPublished: (batch: ReadonlyMap<string, number>) => void;
  onRead: (ms: number) => void;
}): TickPipeline {
  const { options, log, coalescer } = deps;
  const { flushMaxTickers } = options;
  const frameBounds = {
    ...DEFAULT_FRAME_BOUNDS,
    maxBytes: options.maxFrameBytes,
  };
  const processor = createTradeProcessor({
    policy: options.conditionPolicy,
    coalescer,
    bounds: options.tradeBounds,
    frameBounds,
  });
  const queue = new Queue(QUEUE_NAMES.ticks, {
    connection: deps.redis,
    prefix: options.queuePrefix,
  });
  const warnQueue = logEvery(10_000);
  queue.on('error', err =>
    warnQueue(suppressed => log.warn({ err, suppressed }, 'ticks queue error')),
  );
  const publisher = createTickPublisher({
    coalescer,
    queue,
    cap: createQueueCap({
      max: options.maxPendingJobs,
      recheckMs: options.flushIntervalMs,
      count: () =>
        withDeadline(
          countPendingJobs(queue),
          options.publishTimeoutMs,
          'ticks queue count',
        ),
    }),
    intervalMs: options.flushIntervalMs,
    timeoutMs: options.publishTimeoutMs,
    maxJobTickers: options.jobMaxTickers,
    logger: deps.logger,
    metrics: deps.metrics,
    onPublished: deps.onPublished,
  });
  const noteRefused = createTickerCapNotice({
    log,
    maxTickers: options.maxTickers,
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
      if (coalescer.size >= flushMaxTickers) void publisher.flush();
      return { statuses: r.statuses, trades };
    },
    add: (ticker, ms) => {
      if (!coalescer.add(ticker, ms)) noteRefused(Date.now());
    },
    close: () =>
      queue.close().catch(err => log.warn({ err }, 'closing the queue failed')),
  };
}
