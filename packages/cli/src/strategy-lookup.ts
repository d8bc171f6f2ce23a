import { Client } from 'pg';
import { createStrategyReader, type StrategyRow } from '@tickpulse/contracts';
import { redactUrl, redactUrlsIn } from '@tickpulse/service-kit';

/** How long `sync` waits for PostgreSQL before queueing without the check. */
const CONNECT_TIMEOUT_MS = 3000;

/**
 * Reads one row of the `strategies` table over a connection of its own.
 *
 * @param databaseUrl `DATABASE_URL`.
 * @param strategyId the strategy.
 * @returns the row, or undefined when no such strategy exists.
 * @throws Error naming the redacted URL when the table cannot be read.
 */
export async function fetchStrategyRow(
  databaseUrl: string,
  strategyId: number,
): Promise<StrategyRow | undefined> {
  const client = new Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await createStrategyReader(client).fetch(strategyId);
  } catch (err) {
    throw new Error(
      `${redactUrl(databaseUrl)}: ${redactUrlsIn((err as Error).message)}`,
      { cause: err },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
