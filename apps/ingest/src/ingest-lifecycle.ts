import type { Coalescer } from '@tickpulse/polygon';
import {
  type DataLossWatch,
  type RedisClient,
  waitForRedisReady,
} from '@tickpulse/redis';
import {
  type CheckResult,
  type Logger,
  redisCheck,
  startCounterSummary,
} from '@tickpulse/service-kit';
import type { Registry } from 'prom-client';
import type { GapHealer, GapReport } from './gap-healer.js';
import type { Flags } from './ingest-leadership.js';
import type { LeaderElector } from './leader.js';
import { SUMMARY_COUNTERS } from './metrics.js';
import type { PolygonClient } from './polygon-client.js';
import { polygonReadiness } from './readiness.js';
import type { TickPipeline } from './tick-pipeline.js';

/** The ingest service. */
export interface Ingest {
  start(): Promise<void>;
  /**
   * Stops intake (socket closed with 1000), flushes pending ticks to the
   * queue, releases the lease. Idempotent. Resolves false when some ticks
   * could not be published before the flush budget ran out.
   */
  stop(): Promise<boolean>;
  /** What /readyz reports. */
  readiness(): Promise<Record<string, CheckResult>>;
  /**
   * Heals TICK:UPD from Polygon REST for everything since `since` (Unix ms;
   * at most `BACKFILL_MAX_GAP_MS` back): one snapshot plus trade lookups,
   * through the usual coalesce → `ticks` → `ZADD GT` path, so it never moves
   * a ticker back and may run on any replica, leader or not. For operators,
   * e.g. to rebuild TICK:UPD after Redis lost its data. One backfill runs at
   * a time; resolves with the logged report.
   */
  backfill(opts: { since: number }): Promise<GapReport>;
  /** Current role and connection, for tests and logs. */
  status(): {
    leader: boolean;
    state: string;
    authenticated: boolean;
    pendingTickers: number;
  };
}

/** The wired components, for the lifecycle below. */
export interface Parts {
  options: {
    summaryIntervalMs: number;
    shutdownFlushMs: number;
    /** The fields of the 'ingest started' line. */
    startup: Record<string, unknown>;
  };
  registry: Registry;
  redis: RedisClient;
  log: Logger;
  coalescer: Coalescer;
  pipeline: TickPipeline;
  healer: GapHealer;
  client: PolygonClient;
  elector: LeaderElector;
  dataLoss: DataLossWatch;
  flags: Flags;
}

/** The service's handle over its wired parts. */
export function ingestHandle(p: Parts): Ingest {
  return {
    start: () => start(p),
    stop: () => (p.flags.stopping ??= stop(p)),
    backfill: ({ since }) => p.healer.backfill({ since }),
    readiness: () => readiness(p),
    status: () => ({
      leader: p.elector.isLeader,
      state: p.client.state,
      authenticated: p.client.authenticated,
      pendingTickers: p.coalescer.size,
    }),
  };
}

/** Reports the first fatal error once, then leaves the exit to the caller. */
export function fatalOnce(
  flags: Flags,
  log: Logger,
  onFatal: (err: Error) => void,
): (err: Error) => void {
  return err => {
    if (flags.fatal) return;
    flags.fatal = true;
    log.fatal({ err }, err.message);
    onFatal(err);
  };
}

async function start(p: Parts): Promise<void> {
  const { log, elector } = p;
  // The producer connection rejects commands until it is ready; a first
  // lease attempt before that would only log a spurious failure.
  await waitForRedisReady(p.redis, 5000);
  p.pipeline.publisher.start();
  await p.dataLoss.start();
  elector.start();
  p.flags.stopSummary = startSummary(p);
  log.info(p.options.startup, 'ingest started');
}

/** The periodic counter summary, with the role and the pipeline's state. */
function startSummary(p: Parts): () => void {
  const { elector, client, coalescer } = p;
  const { publisher, processor } = p.pipeline;
  return startCounterSummary({
    logger: p.log,
    registry: p.registry,
    counters: SUMMARY_COUNTERS,
    intervalMs: p.options.summaryIntervalMs,
    extra: () => ({
      leader: elector.isLeader,
      connection: client.state,
      pendingTickers: coalescer.size,
      knownTickers: coalescer.known,
      heldBack: publisher.heldBack,
      fastFrames: processor.parser.fastFrames,
      slowFrames: processor.parser.slowFrames,
    }),
  });
}

/**
 * The shutdown order: intake first (socket, then healer), then the publisher
 * drains what is pending, then the lease goes, then the queue closes.
 */
async function stop(p: Parts): Promise<boolean> {
  const { log, elector } = p;
  const { publisher } = p.pipeline;
  log.info('stopping: closing the Polygon connection, flushing pending ticks');
  p.flags.stopSummary?.();
  p.dataLoss.stop();
  elector.stop();
  await p.client.stop();
  await p.healer.stop();
  publisher.stop();
  const flushed = await publisher.drain(p.options.shutdownFlushMs);
  if (!flushed)
    log.error(
      { pendingTickers: p.coalescer.size },
      'could not publish every pending ticker before the deadline',
    );
  await elector.release();
  await p.pipeline.close();
  log.info({ flushed }, 'ingest stopped');
  return flushed;
}

async function readiness(p: Parts): Promise<Record<string, CheckResult>> {
  return {
    redis: await redisCheck(p.redis),
    polygon: polygonReadiness({
      leader: p.elector.isLeader,
      cannotLead: p.elector.cannotLead,
      client: p.client,
      fatal: p.flags.fatal,
      stopping: p.flags.stopping !== undefined,
    }),
  };
}
