import { createTestSchema, type TestSchema } from '@tickpulse/testkit';

export type { TestSchema };

/**
 * A private schema holding a `strategies` table shaped like production's
 * (with the `name` column universe-sync's demo schema leaves out);
 * `withTable: false` gives a database without the table.
 */
export async function createStrategiesSchema(
  withTable = true,
): Promise<TestSchema> {
  const schema = await createTestSchema({ label: 'ts_shadow', poolMax: 2 });
  if (withTable) {
    await schema.pool.query(`
      CREATE TABLE strategies (
        strategyid serial PRIMARY KEY,
        name varchar(100) NOT NULL DEFAULT 'test',
        alertactive boolean NOT NULL DEFAULT false,
        alert_universe text[],
        alert_universe_full text[],
        min_timeframe text,
        alert_last_trigger_at timestamptz
      )`);
  }
  return schema;
}
