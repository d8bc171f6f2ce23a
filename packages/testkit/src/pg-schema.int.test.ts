import pg from 'pg';
import { TEST_DATABASE_URL } from './env';
import { createTestSchema, throughProxy, urlWithSchema } from './pg-schema';

async function schemaExists(name: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    const { rows } = await c.query(
      'SELECT 1 FROM information_schema.schemata WHERE schema_name = $1',
      [name],
    );
    return rows.length === 1;
  } finally {
    await c.end();
  }
}

describe('createTestSchema', () => {
  it('creates a private schema whose pool and url resolve unqualified tables there, and drops it', async () => {
    const a = await createTestSchema({ label: 'tk_test' });
    const b = await createTestSchema({ label: 'tk_test' });
    try {
      expect(a.name).toMatch(/^tk_test_[0-9a-f]{12}$/);
      expect(a.name).not.toBe(b.name);
      await a.pool.query('CREATE TABLE t (v int)');
      await a.pool.query('INSERT INTO t VALUES (1)');
      const viaUrl = new pg.Client({ connectionString: a.url });
      await viaUrl.connect();
      try {
        const { rows } = await viaUrl.query('SELECT v FROM t');
        expect(rows).toEqual([{ v: 1 }]);
      } finally {
        await viaUrl.end();
      }
      // The other schema does not see the table.
      await expect(b.pool.query('SELECT v FROM t')).rejects.toThrow(/t/);
    } finally {
      await a.drop();
      await b.drop();
    }
    expect(await schemaExists(a.name)).toBe(false);
    await a.drop(); // idempotent
  });
});

describe('connection string helpers', () => {
  it('set search_path and point the URL at a local proxy, keeping credentials and database', () => {
    const url = 'postgres://u:p%40ss@db.example:6543/app?sslmode=disable';
    const u = new URL(throughProxy(urlWithSchema(url, 's1'), { port: 7000 }));
    expect(u.hostname).toBe('127.0.0.1');
    expect(u.port).toBe('7000');
    expect(u.username).toBe('u');
    expect(u.password).toBe('p%40ss');
    expect(u.pathname).toBe('/app');
    expect(u.searchParams.get('sslmode')).toBe('disable');
    expect(u.searchParams.get('options')).toBe('-c search_path=s1');
  });
});
