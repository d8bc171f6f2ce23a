import {
  createRedis,
  describeRedisTarget,
  type RedisClient,
} from '@tickpulse/redis';
import {
  createLogger,
  redactUrlsIn,
  type RedisTarget,
} from '@tickpulse/service-kit';

/** Redis could not be reached; the message names the target and the variable to set. */
export class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError';
}

/**
 * The environment variables that choose `target`, for a "set …" hint.
 *
 * @param target where the CLI looked for Redis.
 * @returns the variable names, as an operator would type them.
 */
export function redisTargetVariables(target: RedisTarget): string {
  switch (target.mode) {
    case 'standalone':
      return 'REDIS_URL';
    case 'sentinel':
      return 'REDIS_SENTINELS and REDIS_SENTINEL_NAME';
    case 'cluster':
      return 'REDIS_CLUSTER_NODES';
  }
}

/**
 * The one line the CLI prints when Redis does not answer: the target with
 * its credentials redacted, the reason, and what to do.
 *
 * @param target where the CLI looked for Redis.
 * @param reason the underlying error's message (URLs in it are redacted).
 * @returns the message.
 */
export function redisUnreachableMessage(
  target: RedisTarget,
  reason: string,
): string {
  return (
    `Redis is not reachable at ${describeRedisTarget(target)} (${redactUrlsIn(reason)}): ` +
    `start it (e.g. \`redis-server --daemonize yes\`) or set ${redisTargetVariables(target)}.`
  );
}

/**
 * Connects the client of a one-shot CLI command: one attempt with a bounded
 * connect and no reconnects (the `probe` role). With the usual reconnecting
 * client, BullMQ's Queue waits for `ready` forever and plain commands end in
 * ioredis's retry-limit wording; a command has nothing to wait for, so an
 * unreachable Redis is an error naming the target within seconds.
 *
 * @param target where Redis is.
 * @param name the connection's client name.
 * @returns a ready client; a dropped connection is not re-established.
 * @throws RedisUnreachableError when the connection cannot be made.
 */
export async function connectCommandRedis(
  target: RedisTarget,
  name: string,
): Promise<RedisClient> {
  const redis = createRedis(target, {
    role: 'probe',
    lazyConnect: true,
    name,
    logger: createLogger({ service: 'tickpulse', level: 'silent' }),
  });
  // connect() rejects with "Connection is closed."; the cause (ECONNREFUSED,
  // ETIMEDOUT, a rejected AUTH) arrives as an 'error' event before that.
  let cause: Error | undefined;
  redis.on('error', (err: Error) => {
    cause ??= err;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new RedisUnreachableError(
      redisUnreachableMessage(target, (cause ?? (err as Error)).message),
      { cause: cause ?? err },
    );
  }
  return redis;
}
