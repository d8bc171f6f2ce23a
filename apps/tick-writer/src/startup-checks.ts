import {
  inspectRedisServer,
  type RedisServerInfo,
  type RedisClient,
} from '@tickpulse/redis';
import { type Logger } from '@tickpulse/service-kit';
import type { Gauge } from 'prom-client';

/** What the start-up checks concluded about a Redis server. */
export interface RedisAssessment {
  /** Set when tick-writer must not run on this server; the reason, ready to log. */
  fatal: string | null;
  /** Problems worth a loud warning that do not stop the app. */
  warnings: string[];
  /** Gauge values per check: 1 passed, 0 failed, -1 unknown. */
  checks: { version: 1 | 0; eviction_policy: 1 | 0 | -1 };
}

/** Thrown when the Redis server cannot run tick-writer safely; the process exits non-zero. */
export class UnsupportedRedisError extends Error {
  override name = 'UnsupportedRedisError';
}

/**
 * What `volatile-*` policies may evict: tickpulse's keys that carry a TTL.
 * Exported so the docs and tests name the same keys as the warning.
 */
export const VOLATILE_EVICTION_RISKS =
  'the ingest lease TICKPULSE:LEASE:ingest (a standby then connects beside the leader; Polygon ' +
  'drops one connection with max_connections and a feed gap follows), the reconcile lease ' +
  'TICKPULSE:LEASE:universe-reconcile (two reconciles overlap), planner claims STRAT:<id>:CLAIM ' +
  '(two evaluators may get the same ticker for the same bucket), universe scratch sets (that sync ' +
  'fails and is retried) and BullMQ job locks (a batch or sync is processed twice, which is harmless)';

/** What `allkeys-*` policies may evict on top: any key, also those without a TTL. */
export const ALLKEYS_EVICTION_RISKS =
  'TICK:UPD members (tickers look not updated until they trade again), STRAT:<id>:UNIV sets (missing ' +
  'until the next reconcile), BullMQ queue keys (queued jobs lost, queue state corrupted) and ' +
  'reconcile fingerprints, as well as ' +
  VOLATILE_EVICTION_RISKS;

/** The warning for an evicting policy: what it may evict and what that breaks. */
export function evictionWarning(policy: string): string {
  const risks = policy.startsWith('volatile-')
    ? `it may evict tickpulse keys that have a TTL: ${VOLATILE_EVICTION_RISKS}`
    : `it may evict any key: ${ALLKEYS_EVICTION_RISKS}`;
  return `maxmemory-policy is ${policy}: under memory pressure ${risks}; set it to noeviction`;
}

/**
 * Decides from the server facts whether tick-writer may start. Pure, so every
 * case is unit-tested without a special Redis.
 *
 * - Redis < 6.2 has no `ZADD … GT`: without it a late batch would move a
 *   ticker back, so refusing to start is the only safe answer.
 * - Only `noeviction` is safe. `volatile-*` evicts keys with a TTL, and
 *   tickpulse has several (leases, claims, scratch sets, BullMQ locks);
 *   `allkeys-*` evicts anything. The apps still work, so it warns loudly,
 *   naming what the policy risks, instead of refusing.
 */
export function assessRedisServer(info: RedisServerInfo): RedisAssessment {
  const warnings: string[] = [];
  let evictionCheck: 1 | 0 | -1;
  if (info.evictionSafe === null) {
    evictionCheck = -1;
    warnings.push(
      'cannot read maxmemory-policy (CONFIG GET refused); make sure it is noeviction, or TICK:UPD, queue keys and leases may be evicted',
    );
  } else if (info.evictionSafe) {
    evictionCheck = 1;
  } else {
    evictionCheck = 0;
    warnings.push(evictionWarning(info.maxmemoryPolicy ?? 'unknown'));
  }
  const fatal = info.supportsZaddGt
    ? null
    : `Redis ${info.version} is older than 6.2 and has no ZADD GT, which TICK:UPD writes need; upgrade Redis`;
  return {
    fatal,
    warnings,
    checks: {
      version: info.supportsZaddGt ? 1 : 0,
      eviction_policy: evictionCheck,
    },
  };
}

/**
 * Inspects the server, logs and exports the outcome, and refuses a server
 * tick-writer cannot run on.
 *
 * @throws UnsupportedRedisError when the assessment is fatal.
 */
export async function runStartupChecks(deps: {
  redis: RedisClient;
  logger: Logger;
  gauge: Gauge<'check'>;
  inspect?: (redis: RedisClient) => Promise<RedisServerInfo>;
}): Promise<RedisAssessment> {
  const info = await (deps.inspect ?? inspectRedisServer)(deps.redis);
  const assessment = assessRedisServer(info);
  for (const [check, value] of Object.entries(assessment.checks)) {
    deps.gauge.set({ check }, value);
  }
  for (const warning of assessment.warnings) {
    deps.logger.warn(
      { redisVersion: info.version, maxmemoryPolicy: info.maxmemoryPolicy },
      `REDIS CONFIGURATION RISK: ${warning}`,
    );
  }
  if (assessment.fatal) throw new UnsupportedRedisError(assessment.fatal);
  deps.logger.info(
    { redisVersion: info.version, maxmemoryPolicy: info.maxmemoryPolicy },
    'redis server checks done',
  );
  return assessment;
}
