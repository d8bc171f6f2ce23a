import { type RedisClient } from '@tickpulse/redis';
import {
  CHECK_TIMEOUT_MS,
  type CheckResult,
  type ReadinessProbe,
  redisCheck,
  withDeadline,
} from '@tickpulse/service-kit';
import { Gauge, type Registry } from 'prom-client';
import type { Shadow } from './shadow.js';

/**
 * Publishes the feature flags as a gauge, so a dashboard shows which mode a
 * pod runs in (docs/go-backend.md, defect 8: a flag must be visible and real).
 */
export function registerFeatureFlags(
  registry: Registry,
  flags: { shadow: boolean; plannerApi: boolean },
): void {
  const g = new Gauge({
    name: 'tickpulse_throttle_shadow_feature_enabled',
    help: '1 when a feature is enabled by configuration (shadow: THROTTLE_SHADOW_ENABLED, planner_api: PLANNER_API_ENABLED)',
    labelNames: ['feature'],
    registers: [registry],
  });
  g.set({ feature: 'shadow' }, flags.shadow ? 1 : 0);
  g.set({ feature: 'planner_api' }, flags.plannerApi ? 1 : 0);
}

/**
 * /readyz: Redis answers; the shadow (when enabled) completed a cycle
 * recently; each flag's state is reported either way.
 */
export function createReadiness(deps: {
  redis: RedisClient;
  shadow: Shadow | null;
  plannerApi: boolean;
  intervalMs: number;
  now?: () => number;
}): ReadinessProbe {
  const now = deps.now ?? Date.now;
  return async () => {
    const checks: Record<string, CheckResult> = {};
    checks.redis = await redisCheck(deps.redis);
    if (!deps.shadow) {
      checks.shadow = {
        ok: true,
        detail: 'disabled (THROTTLE_SHADOW_ENABLED=false)',
      };
    } else {
      const last = deps.shadow.lastCycle();
      const staleAfter = 3 * deps.intervalMs + 30_000;
      if (!last) checks.shadow = { ok: false, detail: 'no cycle yet' };
      else if (!last.ok)
        checks.shadow = { ok: false, detail: 'last cycle failed' };
      else if (now() - last.atMs > staleAfter)
        checks.shadow = {
          ok: false,
          detail: `no cycle for ${Math.round((now() - last.atMs) / 1000)} s`,
        };
      else
        checks.shadow = {
          ok: true,
          detail: `enabled; ${last.strategies} strategies in the last cycle`,
        };
    }
    // With Redis away the redis check already fails; asking again would
    // only spend the probe's time budget.
    checks.planner_api = !deps.plannerApi
      ? { ok: true, detail: 'disabled (PLANNER_API_ENABLED=false)' }
      : checks.redis.ok
        ? await plannerCanWrite(deps.redis)
        : { ok: true, detail: 'enabled (not checked: Redis unreachable)' };
    return checks;
  };
}

/**
 * A claim runs a script that writes: on a read-only replica, or for a
 * Redis user without scripting, every claim would answer 500 while the pod
 * looked ready. Two cheap reads tell both apart before a caller finds out.
 */
async function plannerCanWrite(redis: RedisClient): Promise<CheckResult> {
  try {
    await withDeadline(
      redis.eval('return 1', 0),
      CHECK_TIMEOUT_MS,
      'planner script check',
    );
  } catch (err) {
    const message = (err as Error).message;
    return {
      ok: false,
      detail: /NOPERM/.test(message)
        ? 'enabled, but this Redis user may not run scripts: the planner cannot plan'
        : 'enabled, but Redis refused a script',
      error: message,
    };
  }
  try {
    const info = await withDeadline(
      redis.info('replication'),
      CHECK_TIMEOUT_MS,
      'planner role check',
    );
    if (/^role:slave\b/m.test(info))
      return {
        ok: false,
        detail:
          'enabled, but Redis is a read-only replica: claims and records cannot be written (point REDIS_URL at the master, or use Sentinel)',
      };
  } catch {
    // INFO may be denied by ACL; the script check above is the one that matters.
  }
  return { ok: true, detail: 'enabled' };
}
