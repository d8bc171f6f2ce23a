import { type Coalescer, createCoalescer } from '@tickpulse/polygon';
import {
  CHECK_TIMEOUT_MS,
  type CheckResult,
  createDataLossWatch,
  type DataLossWatch,
  createKeys,
  createLease,
  type Logger,
  redactUrl,
  type RedisClient,
  startCounterSummary,
  waitForRedisReady,
  withDeadline,
} from '@tickpulse/shared';
import type { Registry } from 'prom-client';
import type { IngestConfig } from './config.js';
import {
  createGapHealer,
  type GapHealer,
  type GapReport,
} from './gap-healer.js';
import { createLeaderElector, type LeaderElector } from './leader.js';
import { createLeadershipPolicy } from './leadership-policy.js';
import { createIngestMetrics, SUMMARY_COUNTERS } from './metrics.js';
import {
  gapHealerOptions,
  polygonConnection,
  restClientOptions,
  startupSummary,
  tradeBounds,
} from './options.js';
import { createPolygonClient, type PolygonClient } from './polygon-client.js';
import { polygonReadiness } from './readiness.js';
import { createRestClient } from './rest-client.js';
import { createTickPipeline, type TickPipeline } from './tick-pipeline.js';

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

/**
 * Builds ingest from its dependencies (no I/O until `start`).
 *
 * @param deps.redis a producer connection (`enableOfflineQueue: false`): the
 *   lease and the `ticks` queue use it, so a Redis outage fails publishes
 *   fast and they are merged back instead of piling up in memory.
 * @param deps.onFatal called once on an unrecoverable error (Polygon
 *   rejected the key); the caller shuts down and exits non-zero.
 * @param deps.rebuildTickUpd called on the leader after Redis lost its data
 *   (see `createDataLossWatch`), to rebuild TICK:UPD. Default: a REST
 *   backfill over the last `BACKFILL_MAX_GAP_MS` (snapshot plus lookups).
 */
export function createIngest(deps: {
  config: IngestConfig;
  logger: Logger;
  registry: Registry;
  redis: RedisClient;
  onFatal: (err: Error) => void;
  rebuildTickUpd?: () => Promise<void>;
}): Ingest {
  const { config } = deps;
  const log = deps.logger.child({ component: 'ingest' });
  const keys = createKeys(config.REDIS_KEY_PREFIX);
  const coalescer = createCoalescer({ maxTickers: config.MAX_TICKERS });
  const metrics = createIngestMetrics(deps.registry, coalescer);
  const healer = createGapHealer({
    options: gapHealerOptions(config),
    rest: createRestClient(
      restClientOptions(config, (endpoint, status) =>
        metrics.restRequests.inc({ endpoint, status }),
      ),
    ),
    redis: deps.redis,
    watermarkKey: keys.watermark('ingest'),
    policy: config.CONDITION_POLICY,
    bounds: tradeBounds(config),
    add: (ticker, ms) => pipeline.add(ticker, ms),
    logger: deps.logger,
    metrics,
  });
  const pipeline = createTickPipeline({
    config,
    log,
    logger: deps.logger,
    metrics,
    coalescer,
    redis: deps.redis,
    onPublished: batch => healer.published(batch),
    onRead: ms => healer.noteRead(ms),
  });

  const flags: Flags = { fatal: false };

  const client = createPolygonClient({
    ...polygonConnection(config),
    logger: deps.logger,
    metrics,
    onFrame: data => pipeline.onFrame(data),
    onStreaming: () => healer.streaming(),
    onFatal: err => {
      if (flags.fatal) return;
      flags.fatal = true;
      log.fatal({ err }, err.message);
      deps.onFatal(err);
    },
  });

  const elector = createLeaderElector({
    lease: createLease(deps.redis, keys.lease('ingest'), config.LEASE_TTL_MS),
    ttlMs: config.LEASE_TTL_MS,
    pollMs: config.LEASE_POLL_MS,
    logger: deps.logger,
    metrics,
    onElected: () => void policy.elected(),
    onDemoted: () => {
      healer.abort();
      return client.stop();
    },
    // A `max_connections` cooldown counts as down too: every replica uses the
    // same key, so a standby would meet the same limit and stepping down costs
    // nothing. A rejected key (fatal) shuts the process down instead.
    stepDown: {
      afterMs: config.LEADER_STEP_DOWN_AFTER_MS,
      cooldownMs: 3 * config.LEASE_POLL_MS,
      isLive: () => flags.fatal || client.state === 'streaming',
    },
  });

  const policy = createLeadershipPolicy({
    leaseTtlMs: config.LEASE_TTL_MS,
    log,
    isLeader: () => elector.isLeader,
    isStopping: () => flags.stopping !== undefined,
    isFatal: () => flags.fatal,
    checkDataLoss: () => dataLoss.check(),
    connect: () => client.start(),
    // TICK:UPD is gone with the data: heal as far back as a backfill reaches.
    rebuild:
      deps.rebuildTickUpd ??
      (async () => {
        await healer.backfill({
          since: Date.now() - config.BACKFILL_MAX_GAP_MS,
          reason: 'data-loss',
        });
      }),
  });
  const dataLoss = createDataLossWatch({
    redis: deps.redis,
    keys,
    logger: log,
    registry: deps.registry,
    onDataLoss: () => policy.dataLost(),
  });

  const parts: Parts = {
    ...deps,
    log,
    coalescer,
    pipeline,
    healer,
    client,
    elector,
    dataLoss,
    flags,
  };
  return {
    start: () => start(parts),
    stop: () => (flags.stopping ??= stop(parts)),
    backfill: ({ since }) => healer.backfill({ since }),
    readiness: () => readiness(parts),
    status: () => ({
      leader: elector.isLeader,
      state: client.state,
      authenticated: client.authenticated,
      pendingTickers: coalescer.size,
    }),
  };
}

/** What the wiring's callbacks and the lifecycle share. */
interface Flags {
  /** Polygon rejected the key: never connect again. */
  fatal: boolean;
  /** The first `stop()`'s promise, which every later call returns. */
  stopping?: Promise<boolean>;
  stopSummary?: () => void;
}

/** The wired components, for the lifecycle below. */
interface Parts {
  config: IngestConfig;
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

async function start(p: Parts): Promise<void> {
  const { config, log, elector, client, coalescer } = p;
  const { publisher, processor } = p.pipeline;
  // The producer connection rejects commands until it is ready; a first
  // lease attempt before that would only log a spurious failure.
  await waitForRedisReady(p.redis, 5000);
  publisher.start();
  await p.dataLoss.start();
  elector.start();
  p.flags.stopSummary = startCounterSummary({
    logger: log,
    registry: p.registry,
    counters: SUMMARY_COUNTERS,
    intervalMs: config.SUMMARY_INTERVAL_MS,
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
  log.info(
    { url: redactUrl(config.POLYGON_WS_URL), ...startupSummary(config) },
    'ingest started',
  );
}

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
  const flushed = await publisher.drain(p.config.SHUTDOWN_FLUSH_MS);
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
  const redisOk = await withDeadline(
    p.redis.ping(),
    CHECK_TIMEOUT_MS,
    'redis ping',
  ).then(
    r => r === 'PONG',
    () => false,
  );
  return {
    redis: { ok: redisOk, detail: redisOk ? 'reachable' : 'unreachable' },
    polygon: polygonReadiness({
      leader: p.elector.isLeader,
      cannotLead: p.elector.cannotLead,
      client: p.client,
      fatal: p.flags.fatal,
      stopping: p.flags.stopping !== undefined,
    }),
  };
}
