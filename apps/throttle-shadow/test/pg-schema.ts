import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { TEST_DATABASE_URL } from '@tickpulse/testkit';

/** A private PostgreSQL schema holding a `strategies` table shaped like production's. */
export interface TestSchema {
  name: string;
  /** A DATABASE_URL whose connections use this schema. */
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

export async function createTestSchema(withTable = true): Promise<TestSchema> {
  const name = `ts_shadow_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
    if (withTable) {
      await admin.query(`
        CREATE TABLE ${name}.strategies (
          strategyid serial PRIMARY KEY,
          name varchar(100) NOT NULL DEFAULT 'test',
          alertactive boolean NOT NULL DEFAULT false,
          alert_universe text[],
          alert_universe_full text[],
          min_timeframe text
        )`);
    }
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  const pool = new Pool({ connectionString: url.toString(), max: 2 });
  return {
    name,
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const c = new Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
