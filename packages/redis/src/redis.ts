import {
  Cluster,
  Redis,
  type ClusterOptions,
  type RedisOptions,
} from 'ioredis';
import type { Logger } from 'pino';
import type { HostPort, RedisTarget } from '@tickpulse/service-kit';
import { logEvery } from '@tickpulse/service-kit';
import { redactUrl } from '@tickpulse/service-kit';
import { waitForRedisReady } from './redis-ready.js';
import { reviveAfterUnexpectedEnd } from './sentinel-revive.js';

/**
 * A connection to tickpulse's Redis in any topology. `Redis` covers a
 * standalone server and a Sentinel-managed master (ioredis asks the
 * sentinels where the master is); `Cluster` a Redis Cluster. Commands are
 * the same on both; what differs (multi-key operations, SCAN) is handled
 * where it matters with `isCluster`.
 */
export type RedisClient = Redis | Cluster;

/**
 * How a connection behaves while Redis is away:
 * - `worker`: BullMQ workers and blocking readers; commands wait for the
 *   reconnect forever (BullMQ requires `maxRetriesPerRequest: null`).
 * - `producer`: fails fast instead of queueing in memory, so a caller can
 *   keep its own bounded state (ingest merges a failed batch back).
 * - `command`: ordinary commands; a few retries across a reconnect.
 * - `probe`: one attempt, no reconnect, 3 s to connect (the CLI's
 *   "is Redis there?" check).
 */
export type RedisRole = 'worker' | 'producer' | 'command' | 'probe';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  worker: { maxRetriesPerRequest: null },
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
  command: { maxRetriesPerRequest: 3 },
  probe: {
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
  },
};

/**
 * Delay before reconnect attempt `attempt` (1-based): BullMQ's documented
 * curve (`exp(attempt)` ms, at least 1 s), ±25 % jitter so that replicas do not
 * reconnect in step, capped at 5 s rather than BullMQ's 20 s. Ingest holds
 * coalesced ticks until Redis is back, so every second of backoff after a
 * restart is a second TICK:UPD stays stale; tickpulse opens a few dozen
 * connections in all, too few for a faster retry to load a recovering Redis.
 */
export function reconnectDelayMs(attempt: number): number {
  const base = Math.min(Math.max(Math.exp(attempt), 1000), 5000);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** True for a Redis Cluster client (multi-key work must then stay within one slot). */
export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}

/** Options of one connection, before the topology decides how they are applied. */
export interface CreateRedisOptions {
  role: RedisRole;
  logger: Logger;
  name: string;
  lazyConnect?: boolean;
  /**
   * Default true. False: a command in flight when the connection drops fails
   * instead of being resent on the next connection (a resent EXEC would run
   * without its WATCH).
   */
  autoResend?: boolean;
}

/**
 * Creates a client with tickpulse's conventions in any topology: RESP2 (the
 * wire behaviour BullMQ is tested against), jittered reconnects, a
 * role-specific offline policy, and errors logged (rate-limited) instead of
 * thrown into the void.
 *
 * - standalone: `REDIS_URL` as given (`rediss://` for TLS, user and
 *   password in the URL);
 * - sentinel: the master named `name`, found through the sentinels; after a
 *   failover ioredis reconnects to the promoted replica, and a `READONLY`
 *   reply (a demoted master still answering) forces that reconnect; a client
 *   ioredis ends during a failover is connected again
 *   (`reviveAfterUnexpectedEnd`);
 * - cluster: the role options apply to every node connection; the producer's
 *   fail-fast also covers the cluster-level offline queue.
 */
export function createRedis(url: string, opts: CreateRedisOptions): Redis;
export function createRedis(
  target: RedisTarget | string,
  opts: CreateRedisOptions,
): RedisClient;
export function createRedis(
  target: RedisTarget | string,
  opts: CreateRedisOptions,
): RedisClient {
  const t: RedisTarget =
    typeof target === 'string' ? { mode: 'standalone', url: target } : target;
  const role = ROLE_OPTIONS[opts.role];
  const common: RedisOptions = {
    protocol: 2,
    connectionName: `tickpulse:${opts.name}`,
    retryStrategy: reconnectDelayMs,
    lazyConnect: opts.lazyConnect ?? false,
    autoResendUnfulfilledCommands: opts.autoResend ?? true,
    ...role,
  };
  const log = opts.logger.child({ component: 'redis', connection: opts.name });
  let client: RedisClient;
  if (t.mode === 'standalone') client = new Redis(t.url, common);
  else if (t.mode === 'sentinel') {
    const sentinelClient = new Redis({
      ...common,
      sentinels: t.sentinels,
      name: t.name,
      sentinelPassword: t.sentinelPassword,
      username: t.username,
      password: t.password,
      // Reconnects on +switch-master instead of waiting for a command to fail.
      failoverDetector: true,
      sentinelRetryStrategy: role.retryStrategy ?? reconnectDelayMs,
      reconnectOnError: err => (err.message.startsWith('READONLY') ? 2 : false),
    });
    client = reviveAfterUnexpectedEnd(sentinelClient, {
      logger: log,
      delayMs: reconnectDelayMs,
    });
  } else {
    const { lazyConnect, retryStrategy, ...nodeOptions } = common;
    const clusterOptions: ClusterOptions = {
      lazyConnect,
      clusterRetryStrategy: retryStrategy,
      enableOfflineQueue: role.enableOfflineQueue ?? true,
      redisOptions: {
        ...nodeOptions,
        username: t.username,
        password: t.password,
      },
    };
    client = new Cluster(t.nodes, clusterOptions);
  }
  const warnError = logEvery(10_000);
  client.on('error', (err: Error) =>
    warnError(suppressed =>
      log.warn({ err, suppressed }, 'redis connection error'),
    ),
  );
  client.on('ready', () => log.debug('redis ready'));
  return client;
}

/** Where a target points, safe to log: URL credentials redacted, passwords never shown. */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (hs: HostPort[]) => hs.map(h => `${h.host}:${h.port}`).join(',');
  switch (target.mode) {
    case 'standalone':
      return redactUrl(target.url);
    case 'sentinel':
      return `sentinel ${target.name}@${list(target.sentinels)}`;
    case 'cluster':
      return `cluster ${list(target.nodes)}`;
  }
}

/**
 * The masters of a cluster, or the one server otherwise. Work that a server
 * does for its own keys only (SCAN, INFO, CONFIG) must visit each of them.
 * A cluster client knows its masters only once it is ready, so this waits
 * for that (an empty list would make a SCAN silently find nothing).
 */
export async function masterNodes(client: RedisClient): Promise<Redis[]> {
  if (!isCluster(client)) return [client];
  if (!(await waitForRedisReady(client)))
    throw new Error('cluster connection ended before it was ready');
  return client.nodes('master');
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

/**
 * Reads the server version and eviction policy. On a cluster every master
 * is read and the least safe answer wins (lowest version; unsafe, else
 * unknown, eviction), since each master holds some of the keys.
 */
export async function inspectRedisServer(
  redis: RedisClient,
): Promise<RedisServerInfo> {
  const infos = await Promise.all((await masterNodes(redis)).map(inspectOne));
  if (infos.length === 0) throw new Error('no Redis master is connected');
  const byVersion = [...infos].sort((a, b) =>
    compareVersions(a.version, b.version),
  );
  return { ...byVersion[0]!, ...pickEviction(infos) };
}

function pickEviction(
  infos: RedisServerInfo[],
): Pick<RedisServerInfo, 'maxmemoryPolicy' | 'evictionSafe'> {
  const worst =
    infos.find(i => i.evictionSafe === false) ??
    infos.find(i => i.evictionSafe === null) ??
    infos[0]!;
  return {
    maxmemoryPolicy: worst.maxmemoryPolicy,
    evictionSafe: worst.evictionSafe,
  };
}

async function inspectOne(redis: Redis): Promise<RedisServerInfo> {
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

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(n => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map(n => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
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
  client: RedisClient,
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
