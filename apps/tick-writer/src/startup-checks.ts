import {
  inspectRedisServer,
  type Logger,
  type RedisServerInfo,
  type RedisClient,
} from '@tickpulse/shared';
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
 * Decides from the server facts whether tick-writer may start. Pure, so every
 * case is unit-tested without a special Redis.
 *
 * - Redis < 6.2 has no `ZADD … GT`: without it a late batch would move a
 *   ticker back, so refusing to start is the only safe answer.
 * - An evicting `maxmemory-policy` (anything but `noeviction`/`volatile-*`)
 *   may drop TICK:UPD or BullMQ's keys under memory pressure; the app still
 *   works, so it warns loudly instead of refusing.
 */
export function assessRedisServer(info: RedisServerInfo): RedisAssessment {
  const warnings: string[] = [];
  let evictionCheck: 1 | 0 | -1;
  if (info.evictionSafe === null) {
    evictionCheck = -1;
    warnings.push(
      'cannot read maxmemory-policy (CONFIG GET refused); make sure it is noeviction, or TICK:UPD and queue keys may be evicted',
    );
  } else if (info.evictionSafe) {
    evictionCheck = 1;
  } else {
    evictionCheck = 0;
    warnings.push(
      `maxmemory-policy is ${info.maxmemoryPolicy}: Redis may evict TICK:UPD and BullMQ keys under memory pressure; set it to noeviction`,
    );
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
