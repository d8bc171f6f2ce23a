import type pg from 'pg';

/**
 * The `strategies` columns tickpulse reads, for tests and the demo. The real
 * table has many more columns; tickpulse never requires them. The CHECK is
 * the production one (migration 90): it rejects '' elements only, so NULL
 * elements and empty arrays still get in.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS strategies (
  strategyid          serial  PRIMARY KEY,
  alertactive         boolean NOT NULL DEFAULT false,
  alert_universe_full text[]  NULL,
  -- read by throttle-shadow, as by the Go alert loop: COALESCE(min_timeframe,
  -- '1d'), the typed universe (empty = global) and the last matching run
  min_timeframe       text    NULL,
  alert_universe      text[]  NULL,
  alert_last_trigger_at timestamptz NULL,
  CONSTRAINT alert_universe_full_nonempty
    CHECK (alert_universe_full IS NULL OR NOT ('' = ANY(alert_universe_full)))
);
ALTER TABLE strategies
  ADD COLUMN IF NOT EXISTS alert_universe text[] NULL,
  ADD COLUMN IF NOT EXISTS alert_last_trigger_at timestamptz NULL`;

/** Name of the notify function and trigger (in the first schema of search_path). */
export const TRIGGER_NAME = 'tickpulse_strategies_notify';

/**
 * The notify function: one `pg_notify(channel, strategyid)` per changed row,
 * delivered at commit. Updates that touch neither `alertactive` nor
 * `alert_universe_full` (e.g. `alert_last_trigger_at`, written by the alert
 * loop on every match) stay silent; an id change notifies both ids.
 */
export const FUNCTION_SQL = `
CREATE OR REPLACE FUNCTION ${TRIGGER_NAME}() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify(TG_ARGV[0], OLD.strategyid::text);
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM pg_notify(TG_ARGV[0], NEW.strategyid::text);
  ELSIF OLD.strategyid IS DISTINCT FROM NEW.strategyid THEN
    PERFORM pg_notify(TG_ARGV[0], OLD.strategyid::text);
    PERFORM pg_notify(TG_ARGV[0], NEW.strategyid::text);
  ELSIF OLD.alertactive IS DISTINCT FROM NEW.alertactive
     OR OLD.alert_universe_full IS DISTINCT FROM NEW.alert_universe_full THEN
    PERFORM pg_notify(TG_ARGV[0], NEW.strategyid::text);
  END IF;
  RETURN NULL;
END
$fn$`;

/** The trigger itself; `channel` must already be validated as an identifier. */
export function triggerSql(channel: string): string[] {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new RangeError(`invalid notify channel ${JSON.stringify(channel)}`);
  }
  return [
    `DROP TRIGGER IF EXISTS ${TRIGGER_NAME} ON strategies`,
    `CREATE TRIGGER ${TRIGGER_NAME}
       AFTER INSERT OR DELETE OR UPDATE OF strategyid, alertactive, alert_universe_full
       ON strategies FOR EACH ROW
       EXECUTE FUNCTION ${TRIGGER_NAME}('${channel}')`,
  ];
}

/** Statements to remove the trigger and its function. */
export const UNINSTALL_SQL = [
  `DROP TRIGGER IF EXISTS ${TRIGGER_NAME} ON strategies`,
  `DROP FUNCTION IF EXISTS ${TRIGGER_NAME}()`,
];

/** Whether the notify trigger is there and would notify on `channel`. */
export type TriggerState =
  'installed' | 'missing' | 'disabled' | 'other_channel';

/**
 * Looks up the notify trigger on `strategies` (the table `search_path`
 * finds, as `migrate` installs it): missing, disabled (`ALTER TABLE …
 * DISABLE TRIGGER`), installed for another channel, or installed.
 * LISTENing without it would wait on a channel nobody notifies.
 */
export async function inspectTrigger(
  db: Pick<pg.ClientBase, 'query'>,
  channel: string,
): Promise<TriggerState> {
  const { rows } = await db.query<{ enabled: string; def: string }>(
    `SELECT tgenabled AS enabled, pg_get_triggerdef(oid) AS def
       FROM pg_trigger
      WHERE tgrelid = to_regclass('strategies') AND tgname = $1 AND NOT tgisinternal`,
    [TRIGGER_NAME],
  );
  const t = rows[0];
  if (!t) return 'missing';
  if (t.enabled === 'D') return 'disabled';
  return t.def.includes(`${TRIGGER_NAME}('${channel}')`)
    ? 'installed'
    : 'other_channel';
}

/** What `migrate` does. */
export interface MigrateOptions {
  /** Create the demo/test `strategies` table if it is missing. */
  schema: boolean;
  /** Install (or re-install) the notify trigger. */
  trigger: boolean;
  /** Remove the trigger and its function instead. */
  uninstall: boolean;
  channel: string;
}

/**
 * Applies the migration in one transaction, serialised by an advisory lock
 * so that replicas or CI jobs running it at once cannot interleave. Every
 * statement is idempotent.
 *
 * @returns the statements' short names, for the log.
 */
export async function migrate(
  client: pg.ClientBase,
  opts: MigrateOptions,
): Promise<string[]> {
  const done: string[] = [];
  await client.query('BEGIN');
  try {
    await client.query(
      `SELECT pg_advisory_xact_lock(hashtext('${TRIGGER_NAME}'))`,
    );
    if (opts.schema) {
      await client.query(SCHEMA_SQL);
      done.push('schema');
    }
    if (opts.uninstall) {
      for (const sql of UNINSTALL_SQL) await client.query(sql);
      done.push('uninstall-trigger');
    } else if (opts.trigger) {
      await client.query(FUNCTION_SQL);
      for (const sql of triggerSql(opts.channel)) await client.query(sql);
      done.push('trigger');
    }
    await client.query('COMMIT');
    return done;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Parses `migrate`'s arguments: `[--schema] [--no-trigger] [--uninstall]`. */
export function parseMigrateArgs(
  argv: readonly string[],
): Omit<MigrateOptions, 'channel'> {
  const known = new Set(['--schema', '--no-trigger', '--uninstall', '--help']);
  const unknown = argv.filter(a => !known.has(a));
  if (unknown.length > 0) {
    throw new Error(
      `unknown argument(s) ${unknown.join(' ')}; usage: migrate [--schema] [--no-trigger] [--uninstall]`,
    );
  }
  return {
    schema: argv.includes('--schema'),
    trigger: !argv.includes('--no-trigger'),
    uninstall: argv.includes('--uninstall'),
  };
}
