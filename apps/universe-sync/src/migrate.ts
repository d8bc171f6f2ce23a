import { createLogger, redactUrl, runMain } from '@tickpulse/service-kit';
import pg from 'pg';
import { loadMigrateConfig } from './config.js';
import { migrate, parseMigrateArgs } from './migrations.js';

/**
 * `node dist/migrate.js [--schema] [--no-trigger] [--uninstall]`
 *
 * Installs the notify trigger on `strategies` (default), creates the
 * demo/test table first with `--schema`, or removes the trigger with
 * `--uninstall`. Reads DATABASE_URL and PG_NOTIFY_CHANNEL.
 */
async function main(): Promise<void> {
  const config = loadMigrateConfig(process.env);
  const logger = createLogger({
    service: 'universe-sync-migrate',
    level: config.LOG_LEVEL,
  });
  const args = parseMigrateArgs(process.argv.slice(2));
  const client = new pg.Client({ connectionString: config.DATABASE_URL });
  await client.connect();
  try {
    const done = await migrate(client, {
      ...args,
      channel: config.PG_NOTIFY_CHANNEL,
    });
    logger.info(
      {
        done,
        channel: config.PG_NOTIFY_CHANNEL,
        database: redactUrl(config.DATABASE_URL),
      },
      'migration applied',
    );
  } finally {
    await client.end();
  }
}

runMain('universe-sync-migrate', main);
