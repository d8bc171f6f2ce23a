import {
  createCoalescer,
  createTradeProcessor,
  DEFAULT_FRAME_BOUNDS,
  type FrameResult,
} from '@tickpulse/polygon';
import {
  CHECK_TIMEOUT_MS,
  type CheckResult,
  createDataLossWatch,
  createKeys,
  createLease,
  logEvery,
  type Logger,
  QUEUE_NAMES,
  redactUrl,
  type RedisClient,
  sleep,
  startCounterSummary,
  waitForRedisReady,
  withDeadline,
} from '@tickpulse/shared';
import { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import type { IngestConfig } from './config.js';
import { createGapHealer, type GapReport } from './gap-healer.js';
import { createLeaderElector } from './leader.js';
import { createIngestMetrics, SUMMARY_COUNTERS } from './metrics.js';
import {
  gapHealerOptions,
  polygonConnection,
  restClientOptions,
  startupSummary,
  tradeBounds,
} from './options.js';
import { createPolygonClient } from './polygon-client.js';
import { countPendingJobs, createQueueCap } from './queue-cap.js';
import { createRestClient } from './rest-client.js';
import { createTickPublisher } from './tick-publisher.js';

/** Reasons the parser refuses a whole frame for its size or shape. */
const FRAME_REFUSALS = [
  'frame_too_large',
  'frame_too_deep',
  'frame_too_many_values',
] as const;

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
  // A feed or snapshot naming more symbols than any market has is broken or
  // hostile: say so loudly, but at most once a minute however long it lasts.
  const warnRefused = logEvery(60_000);
  const noteRefused = (now: number) =>
    warnRefused(
      () =>
        log.error(
          {
            maxTickers: config.MAX_TICKERS,
            refusedTrades: coalescer.refused,
            refusedTickers: coalescer.refusedTickers,
          },
          'MAX_TICKERS reached: trades of new symbols are dropped (known tickers keep updating). ' +
            'The feed or a REST snapshot names more symbols than the market has; raise MAX_TICKERS only if it really does',
        ),
      now,
    );
  const bounds = tradeBounds(config);
  const frameBounds = {
    ...DEFAULT_FRAME_BOUNDS,
    maxBytes: config.MAX_FRAME_BYTES,
  };
  const processor = createTradeProcessor({
    policy: config.CONDITION_POLICY,
    coalescer,
    bounds,
    frameBounds,
  });
  const queue = new Queue(QUEUE_NAMES.ticks, {
    connection: deps.redis,
    prefix: config.BULLMQ_PREFIX,
  });
  queue.on('error', err => log.warn({ err }, 'ticks queue error'));
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
    bounds,
    add: (ticker, ms) => {
      if (!coalescer.add(ticker, ms)) noteRefused(Date.now());
    },
    logger: deps.logger,
    metrics,
  });
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
    metrics,
    onPublished: batch => healer.published(batch),
  });
  const warnInvalid = logEvery(10_000);
  // Its own gate: a refused frame must be named even when other invalid
  // events were just logged.
  const warnFrame = logEvery(10_000);

  // Per-frame counts go into plain accumulators and reach prom-client when
  // the metrics are read (collect hook) or every second, instead of several
  // counter calls (label hashing included) per frame.
  const acc = metrics.frameTotals;
  const record = (r: FrameResult, now: number) => {
    acc.frames++;
    acc.received += r.received;
    acc.eligible += r.eligible;
    if (r.refused > 0) noteRefused(now);
    if (r.filtered)
      for (const [id, n] of r.filtered)
        acc.filtered.set(id, (acc.filtered.get(id) ?? 0) + n);
    if (r.invalid) {
      for (const [reason, n] of Object.entries(r.invalid))
        metrics.invalid.inc({ reason }, n);
      warnInvalid(
        () =>
          log.warn(
            { invalid: r.invalid },
            'skipped invalid frames/events (logged at most every 10 s)',
          ),
        now,
      );
    }
    acc.unknownConditions += r.unknownConditions;
    acc.ignored += r.ignored;
    if (r.newestMs >= 0) {
      metrics.lag.observe(Math.max(0, now - r.newestMs) / 1000);
      healer.noteRead(Math.min(r.newestMs, now));
    }
  };

  let fatal = false;
  let stopping: Promise<boolean> | undefined;
  let stopSummary: (() => void) | undefined;

  const client = createPolygonClient({
    ...polygonConnection(config),
    logger: deps.logger,
    metrics,
    onFrame: data => {
      const now = Date.now();
      const r = processor.processFrame(data, now);
      record(r, now);
      const refused = r.invalid && FRAME_REFUSALS.find(k => r.invalid![k]);
      if (refused)
        warnFrame(
          suppressed =>
            log.warn(
              {
                reason: refused,
                bytes: data.length,
                ...frameBounds,
                suppressed,
              },
              'refused a frame past MAX_FRAME_BYTES or its nesting or value bound, unread (logged at most every 10 s)',
            ),
          now,
        );
      if (coalescer.size >= config.FLUSH_MAX_TICKERS) void publisher.flush();
      // Valid trades only: a peer sending garbage events is as silent as
      // one sending nothing.
      let trades = r.eligible + r.refused;
      if (r.filtered) for (const n of r.filtered.values()) trades += n;
      return { statuses: r.statuses, trades };
    },
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
    onElected: () => void connectAsLeader(),
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

  // The lease passes safely on expiry because a leader that cannot renew
  // closes its socket at ¾ TTL. A data loss deletes the lease at once, so the
  // old leader may still stream (and believe it leads) until its next renew:
  // for ¾ TTL after a loss no replica connects or rebuilds, or the account
  // would be taken twice and TICK:UPD rebuilt twice.
  const handoverMs = Math.floor((config.LEASE_TTL_MS * 3) / 4);
  // TICK:UPD is gone with the data: heal as far back as a backfill reaches.
  const rebuildTickUpd =
    deps.rebuildTickUpd ??
    (async () => {
      await healer.backfill({
        since: Date.now() - config.BACKFILL_MAX_GAP_MS,
        reason: 'data-loss',
      });
    });
  let lossNoticedAt = Number.NEGATIVE_INFINITY;
  let rebuildPending = false;
  const rebuildIfLeader = async () => {
    if (!rebuildPending || !elector.isLeader || stopping) return;
    rebuildPending = false;
    try {
      await rebuildTickUpd();
      log.info('TICK:UPD rebuilt after Redis data loss');
    } catch (err) {
      rebuildPending = true;
      log.error({ err }, 'TICK:UPD rebuild after Redis data loss failed');
    }
  };
  const dataLoss = createDataLossWatch({
    redis: deps.redis,
    keys,
    logger: log,
    registry: deps.registry,
    onDataLoss: async () => {
      lossNoticedAt = Date.now();
      rebuildPending = true;
      await sleep(handoverMs);
      await rebuildIfLeader();
    },
  });
  const connectAsLeader = async () => {
    // Unknown (Redis errored right after the acquire) counts as a loss: waiting is the safe side.
    if ((await dataLoss.check()) === null) lossNoticedAt = Date.now();
    const wait = lossNoticedAt + handoverMs - Date.now();
    if (wait > 0) {
      log.warn(
        { waitMs: wait },
        'took the lease right after a Redis data loss; waiting for a previous leader to close its connection',
      );
      await sleep(wait);
    }
    if (!fatal && !stopping && elector.isLeader) client.start();
    await rebuildIfLeader();
  };

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
    await queue
      .close()
      .catch(err => log.warn({ err }, 'closing the queue failed'));
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
