import { type RedisKeys } from '@tickpulse/contracts';
import {
  createDataLossWatch,
  createLease,
  type DataLossWatch,
  type RedisClient,
} from '@tickpulse/redis';
import { type Logger } from '@tickpulse/service-kit';
import type { Registry } from 'prom-client';
import type { GapHealer } from './gap-healer.js';
import { createLeaderElector, type LeaderElector } from './leader.js';
import { createLeadershipPolicy } from './leadership-policy.js';
import type { IngestMetrics } from './metrics.js';
import type { PolygonClient } from './polygon-client.js';

/** The lease, step-down and data-loss settings (see `leadershipOptions`). */
export interface LeadershipOptions {
  leaseTtlMs: number;
  leasePollMs: number;
  /** 0 turns step-down off. */
  stepDownAfterMs: number;
  stepDownCooldownMs: number;
  /** How far back the default TICK:UPD rebuild heals. */
  rebuildSinceMs: number;
}

/** What the wiring's callbacks and the lifecycle share. */
export interface Flags {
  /** Polygon rejected the key: never connect again. */
  fatal: boolean;
  /** The first `stop()`'s promise, which every later call returns. */
  stopping?: Promise<boolean>;
  stopSummary?: () => void;
}

/**
 * Wires who holds the Polygon connection: the lease elector, the policy that
 * connects on election and rebuilds after data loss, and the data-loss watch.
 */
export function createLeadership(deps: {
  options: LeadershipOptions;
  redis: RedisClient;
  keys: RedisKeys;
  registry: Registry;
  logger: Logger;
  log: Logger;
  metrics: IngestMetrics;
  flags: Flags;
  client: PolygonClient;
  healer: GapHealer;
  rebuildTickUpd?: () => Promise<void>;
}): { elector: LeaderElector; dataLoss: DataLossWatch } {
  const { options: o, client, healer, flags } = deps;
  const elector = createLeaderElector({
    lease: createLease(deps.redis, deps.keys.lease('ingest'), o.leaseTtlMs),
    ttlMs: o.leaseTtlMs,
    pollMs: o.leasePollMs,
    logger: deps.logger,
    metrics: deps.metrics,
    onElected: () => void policy.elected(),
    onDemoted: () => {
      healer.abort();
      return client.stop();
    },
    // A `max_connections` cooldown counts as down too: every replica uses the
    // same key, so a standby would meet the same limit and stepping down costs
    // nothing. A rejected key (fatal) shuts the process down instead.
    stepDown: {
      afterMs: o.stepDownAfterMs,
      cooldownMs: o.stepDownCooldownMs,
      isLive: () => flags.fatal || client.state === 'streaming',
    },
  });
  const policy = createLeadershipPolicy({
    leaseTtlMs: o.leaseTtlMs,
    log: deps.log,
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
          since: Date.now() - o.rebuildSinceMs,
          reason: 'data-loss',
        });
      }),
  });
  const dataLoss = createDataLossWatch({
    redis: deps.redis,
    keys: deps.keys,
    logger: deps.log,
    registry: deps.registry,
    onDataLoss: () => policy.dataLost(),
  });
  return { elector, dataLoss };
}
