import { Redis } from 'ioredis';
import { Client } from 'pg';
import { redactUrl } from '@tickpulse/shared';

/** Checks that Redis and PostgreSQL answer; returns one line per problem, each with its fix. */
export async function preflight(
  redisUrl: string,
  databaseUrl: string,
): Promise<string[]> {
  const problems: string[] = [];
  const redis = new Redis(redisUrl, {
    protocol: 2,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    problems.push(
      `Redis is not reachable at ${redactUrl(redisUrl)} (${(err as Error).message}): start it ` +
        `(e.g. \`redis-server --daemonize yes\`) or set REDIS_URL.`,
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
