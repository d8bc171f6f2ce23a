import { createCoalescer } from '@tickpulse/polygon';
import { createKeys } from '@tickpulse/contracts';
import { type RedisClient } from '@tickpulse/redis';
import { type Logger } from '@tickpulse/service-kit';
import type { Registry } from 'prom-client';
import type { IngestConfig } from './config.js';
import { createGapHealer } from './gap-healer.js';
import { createLeadership, type Flags } from './ingest-leadership.js';
import { fatalOnce, type Ingest, ingestHandle } from './ingest-lifecycle.js';
import { createIngestMetrics } from './metrics.js';
import { ingestOptions } from './options.js';
import { createPolygonClient } from './polygon-client.js';
import { createRestClient } from './rest-client.js';
import { createTickPipeline } from './tick-pipeline.js';

export type { Ingest } from './ingest-lifecycle.js';

/**
 * Builds ingest from its dependencies (no I/O until `start`). Only wiring:
 * the lifecycle is in `ingest-lifecycle.ts`, who leads in
 * `ingest-leadership.ts`, the env names stop at `ingestOptions`.
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
  const { logger, registry, redis } = deps;
  const options = ingestOptions(deps.config);
  const log = logger.child({ component: 'ingest' });
  const keys = createKeys(options.keyPrefix);
  const coalescer = createCoalescer({ maxTickers: options.maxTickers });
  const metrics = createIngestMetrics(registry, coalescer);
  const rest = createRestClient({
    ...options.rest,
    onResponse: (endpoint, status) =>
      metrics.restRequests.inc({ endpoint, status }),
  });
  const healer = createGapHealer({
    options: options.gapHealer,
    rest,
    redis,
    watermarkKey: keys.watermark('ingest'),
    policy: options.conditionPolicy,
    bounds: options.tradeBounds,
    add: (ticker, ms) => pipeline.add(ticker, ms),
    logger,
    metrics,
  });
  const pipeline = createTickPipeline({
    options: options.pipeline,
    log,
    logger,
    metrics,
    coalescer,
    redis,
    onPublished: batch => healer.published(batch),
    onRead: ms => healer.noteRead(ms),
  });
  const flags: Flags = { fatal: false };
  const client = createPolygonClient({
    ...options.polygon,
    logger,
    metrics,
    onFrame: data => pipeline.onFrame(data),
    onStreaming: () => healer.streaming(),
    onFatal: fatalOnce(flags, log, deps.onFatal),
  });
  const { elector, dataLoss } = createLeadership({
    options: options.leadership,
    redis,
    keys,
    registry,
    logger,
    log,
    metrics,
    flags,
    client,
    healer,
    rebuildTickUpd: deps.rebuildTickUpd,
  });
  const parts = { options, registry, redis, log, coalescer, pipeline };
  return ingestHandle({ ...parts, healer, client, elector, dataLoss, flags });
}
