import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * How a connection behaves while Redis is away:
 * - `worker`: BullMQ workers and blocking readers; commands wait for the
 *   reconnect forever (BullMQ requires `maxRetriesPerRequest: null`).
 * - `producer`: fails fast instead of queueing in memory, so a caller can
 *   keep its own bounded state (ingest merges a failed batch back).
 * - `command`: ordinary commands; a few retries across a reconnect.
 */
export type RedisRole = 'worker' | 'producer' | 'command';

/** 1–20 s with jitter, BullMQ's documented curve: no reconnect storm after a Redis restart. */
export function reconnectDelayMs(attempt: number): number {
  const base = Math.max(Math.min(Math.exp(attempt) * 100, 20_000), 1000);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/**
 * Creates an ioredis client with tickpulse's conventions: RESP2 (the wire
 * behaviour BullMQ is tested against), jittered reconnects, a role-specific
 * offline policy, and errors logged (rate-limited) instead of thrown into
 * the void.
 */
export function createRedis(
  url: string,
  opts: {
    role: RedisRole;
    logger: Logger;
    name: string;
    lazyConnect?: boolean;
  },
): Redis {
  const roleOptions: Record<RedisRole, RedisOptions> = {
    worker: { maxRetriesPerRequest: null },
    producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
    command: { maxRetriesPerRequest: 3 },
  };
  const client = new Redis(url, {
    protocol: 2,
    connectionName: `tickpulse:${opts.name}`,
    retryStrategy: reconnectDelayMs,
    lazyConnect: opts.lazyConnect ?? false,
    ...roleOptions[opts.role],
  });
  const log = opts.logger.child({ component: 'redis', connection: opts.name });
  let lastLogged = 0;
  let suppressed = 0;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogged < 10_000) {
      suppressed++;
      return;
    }
    log.warn({ err, suppressed }, 'redis connection error');
    lastLogged = now;
    suppressed = 0;
  });
  client.on('ready', () => log.debug('redis ready'));
  return client;
}

/** Facts about the Redis server that decide whether tickpulse can run on it safely. */
export interface RedisServerInfo {
  version: string;
  /** `ZADD … GT` needs 6.2. */
  supportsZaddGt: boolean;
  /** Null when `CONFIG GET` is not allowed (managed Redis). */
  maxmemoryPolicy: string | null;
  /**
   * True only for `noeviction`: every other policy may evict some tickpulse
   * keys (`volatile-*` those with a TTL: leases, planner claims, scratch
   * sets, BullMQ job locks). Null when the policy cannot be read.
   */
  evictionSafe: boolean | null;
}

/** Reads the server version and eviction policy. */
export async function inspectRedisServer(
  redis: Redis,
): Promise<RedisServerInfo> {
  const info = await redis.info('server');
  const version = /redis_version:([^\r\n]+)/.exec(info)?.[1]?.trim() ?? '0.0.0';
  const maxmemoryPolicy = await redis
    .config('GET', 'maxmemory-policy')
    .then(reply => (reply as string[])[1] ?? null)
    .catch(() => null);
  return {
    version,
    supportsZaddGt: versionAtLeast(version, 6, 2),
    maxmemoryPolicy,
    evictionSafe:
      maxmemoryPolicy === null ? null : maxmemoryPolicy === 'noeviction',
  };
}

/** Compares a dotted version with a major.minor floor. */
export function versionAtLeast(
  version: string,
  major: number,
  minor: number,
): boolean {
  const [maj = 0, min = 0] = version
    .split('.')
    .map(n => Number.parseInt(n, 10) || 0);
  return maj > major || (maj === major && min >= minor);
}

/** Closes a client politely, or drops it when Redis does not answer in time. */
export async function closeRedis(
  client: Redis,
  timeoutMs = 2000,
): Promise<void> {
  if (client.status === 'end') return;
  const quit = client.quit().then(
    () => undefined,
    () => undefined,
  );
  const timer = new Promise<void>(resolve =>
    setTimeout(resolve, timeoutMs).unref(),
  );
  await Promise.race([quit, timer]);
  client.disconnect();
}
