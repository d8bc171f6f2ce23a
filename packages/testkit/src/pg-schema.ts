import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_DATABASE_URL } from './env.js';

/** `url` with every session's search_path set to `schema` (unqualified tables resolve there). */
export function urlWithSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** `url` pointed at a local proxy (e.g. `startTcpProxy`) instead of the server itself. */
export function throughProxy(url: string, proxy: { port: number }): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

/** A private PostgreSQL schema for one test, dropped (with everything in it) by `drop()`. */
export interface TestSchema {
  name: string;
  /** A connection string whose sessions use this schema. */
  url: string;
  /** A pool on the schema, for the test's own DDL, inserts and updates. */
  pool: pg.Pool;
  /** Ends the pool and drops the schema. Idempotent. */
  drop(): Promise<void>;
}

/** Runs one statement on a fresh connection to `url` (schema DDL must not use the schema's pool). */
async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty schema with a unique name (`<label>_<hex>`) on the test
 * PostgreSQL. Tables are the caller's: run the DDL or the migrations on `pool`.
 */
export async function createTestSchema(
  opts: { label?: string; baseUrl?: string; poolMax?: number } = {},
): Promise<TestSchema> {
  const baseUrl = opts.baseUrl ?? TEST_DATABASE_URL;
  const name = `${opts.label ?? 'tp'}_${randomBytes(6).toString('hex')}`;
  await adminQuery(baseUrl, `CREATE SCHEMA ${name}`);
  const url = urlWithSchema(baseUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: opts.poolMax ?? 4 });
  let dropping: Promise<void> | undefined;
  return {
    name,
    url,
    pool,
    drop() {
      dropping ??= (async () => {
        await pool.end();
        await adminQuery(baseUrl, `DROP SCHEMA IF EXISTS ${name} CASCADE`);
      })();
      return dropping;
    },
  };
}
