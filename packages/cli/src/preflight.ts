import { Client } from 'pg';
import {
  createLogger,
  createRedis,
  describeRedisTarget,
  redactUrl,
  type RedisTarget,
} from '@tickpulse/shared';

/** Checks that Redis and PostgreSQL answer; returns one line per problem, each with its fix. */
export async function preflight(
  redisAt: RedisTarget,
  databaseUrl: string,
): Promise<string[]> {
  const problems: string[] = [];
  const redis = createRedis(redisAt, {
    role: 'probe',
    lazyConnect: true,
    name: 'cli-preflight',
    logger: createLogger({ service: 'tickpulse', level: 'silent' }),
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    problems.push(
      `Redis is not reachable at ${describeRedisTarget(redisAt)} (${(err as Error).message}): start it ` +
        `(e.g. \`redis-server --daemonize yes\`) or set REDIS_URL (REDIS_SENTINELS, REDIS_CLUSTER_NODES).`,
    );
  } finally {
    redis.disconnect();
  }
  const pg = new Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: 3000,
  });
  pg.on('error', () => undefined);
  try {
    await pg.connect();
    await pg.query('select 1');
  } catch (err) {
    problems.push(
      `PostgreSQL is not reachable at ${redactUrl(databaseUrl)} (${(err as Error).message}): ` +
        `start it (e.g. \`pg_ctlcluster 15 main start\`) or set DATABASE_URL.`,
    );
  } finally {
    await pg.end().catch(() => undefined);
  }
  return problems;
}
