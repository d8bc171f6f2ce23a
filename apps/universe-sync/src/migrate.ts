import { createLogger, redactUrl, runMain } from '@tickpulse/service-kit';
import pg from 'pg';
import { loadMigrateConfig } from './config.js';
import { migrate, parseMigrateArgs } from './migrations.js';
import { migrateOptions } from './options.js';

/**
 * `node dist/migrate.js [--schema] [--no-trigger] [--uninstall]`
 *
 * Installs the notify trigger on `strategies` (default), creates the
 * demo/test table first with `--schema`, or removes the trigger with
 * `--uninstall`. Reads DATABASE_URL and PG_NOTIFY_CHANNEL.
 */
async function main(): Promise<void> {
  const options = migrateOptions(loadMigrateConfig(process.env));
  const logger = createLogger({
    service: 'universe-sync-migrate',
    level: options.logLevel,
  });
  const args = parseMigrateArgs(process.argv.slice(2));
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const done = await migrate(client, {
      ...args,
      channel: options.notifyChannel,
    });
    logger.info(
      {
        done,
        channel: options.notifyChannel,
        database: redactUrl(options.databaseUrl),
      },
      'migration applied',
    );
  } finally {
    await client.end();
  }
}

runMain('universe-sync-migrate', main);
