import { createCoalescer } from '@tickpulse/polygon';
import {
  CHECK_TIMEOUT_MS,
  type CheckResult,
  createDataLossWatch,
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
import { createGapHealer, type GapReport } from './gap-healer.js';
import { createLeaderElector } from './leader.js';
import { createLeadershipPolicy } from './leadership-policy.js';
import { createIngestMetrics, SUMMARY_COUNTERS } from './metrics.js';
import {
  gapHealerOptions,
  polygonConnection,
  restClientOptions,
  startupSummary,
  tradeBounds,
} from './options.js';
import { createPolygonClient } from './polygon-client.js';
import { createRestClient } from './rest-client.js';
import { createTickPipeline } from './tick-pipeline.js';

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
  const { processor, publisher } = pipeline;

  let fatal = false;
  let stopping: Promise<boolean> | undefined;
  let stopSummary: (() => void) | undefined;

  const client = createPolygonClient({
    ...polygonConnection(config),
    logger: deps.logger,
    metrics,
    onFrame: data => pipeline.onFrame(data),
    onStreaming: () => healer.streaming(),
    onFatal: err => {
      if (fatal) return;
      fatal = true;
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
      isLive: () => fatal || client.state === 'streaming',
    },
  });

  const policy = createLeadershipPolicy({
    leaseTtlMs: config.LEASE_TTL_MS,
    log,
    isLeader: () => elector.isLeader,
    isStopping: () => stopping !== undefined,
    isFatal: () => fatal,
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

  const doStop = async (): Promise<boolean> => {
    log.info(
      'stopping: closing the Polygon connection, flushing pending ticks',
    );
    stopSummary?.();
    dataLoss.stop();
    elector.stop();
    await client.stop();
    await healer.stop();
    publisher.stop();
    const flushed = await publisher.drain(config.SHUTDOWN_FLUSH_MS);
    if (!flushed)
      log.error(
        { pendingTickers: coalescer.size },
        'could not publish every pending ticker before the deadline',
      );
    await elector.release();
    await pipeline.close();
    log.info({ flushed }, 'ingest stopped');
    return flushed;
  };

  return {
    async start() {
      // The producer connection rejects commands until it is ready; a first
      // lease attempt before that would only log a spurious failure.
      await waitForRedisReady(deps.redis, 5000);
      publisher.start();
      await dataLoss.start();
      elector.start();
      stopSummary = startCounterSummary({
        logger: log,
        registry: deps.registry,
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
    },
    stop: () => (stopping ??= doStop()),
    backfill: ({ since }) => healer.backfill({ since }),
    async readiness() {
      const redisOk = await withDeadline(
        deps.redis.ping(),
        CHECK_TIMEOUT_MS,
        'redis ping',
      ).then(
        r => r === 'PONG',
        () => false,
      );
      const leader = elector.isLeader;
      return {
        redis: { ok: redisOk, detail: redisOk ? 'reachable' : 'unreachable' },
        polygon: leader
          ? {
              ok: client.authenticated && !client.silent,
              detail: `leader, ${client.state}${client.silent ? ', feed silent (no trades in the data window)' : ''}`,
            }
          : { ok: !fatal && !stopping, detail: 'standby' },
      };
    },
    status: () => ({
      leader: elector.isLeader,
      state: client.state,
      authenticated: client.authenticated,
      pendingTickers: coalescer.size,
    }),
  };
}
