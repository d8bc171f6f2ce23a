import { Client } from 'pg';
import { redactUrl, type RedisTarget } from '@tickpulse/service-kit';
import { connectCommandRedis } from './redis-connection.js';

/** Checks that Redis and PostgreSQL answer; returns one line per problem, each with its fix. */
export async function preflight(
  redisAt: RedisTarget,
  databaseUrl: string,
): Promise<string[]> {
  const problems: string[] = [];
  try {
    (await connectCommandRedis(redisAt, 'cli-preflight')).disconnect();
  } catch (err) {
    problems.push((err as Error).message);
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
