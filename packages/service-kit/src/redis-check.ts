import { echoValue } from '@tickpulse/contracts';
import { CHECK_TIMEOUT_MS, type CheckResult } from './http.js';
import { withDeadline } from './lifecycle.js';

/** What `redisCheck` needs of a connection; ioredis's `Redis` and `Cluster` both fit. */
export interface Pingable {
  ping(): Promise<string>;
}

/**
 * Every app's `/readyz` check of its Redis: a PING answered `PONG` within
 * CHECK_TIMEOUT_MS. A connection can look `ready` while the server answers
 * nothing (stopped, half-open), so the check asks, and the deadline keeps a
 * silent server from holding the probe. The reason goes to `error`, which
 * the ops server logs and never sends.
 */
export async function redisCheck(redis: Pingable): Promise<CheckResult> {
  try {
    const reply = await withDeadline(
      redis.ping(),
      CHECK_TIMEOUT_MS,
      'redis ping',
    );
    if (reply === 'PONG') return { ok: true, detail: 'reachable' };
    return {
      ok: false,
      detail: 'unreachable',
      error: `PING answered ${echoValue(reply)}`,
    };
  } catch (err) {
    return { ok: false, detail: 'unreachable', error: (err as Error).message };
  }
}
