import { createTestSchema, type TestSchema } from '@tickpulse/testkit';
import { createStrategyReader } from '../src/strategy-universe';

// Universes in every text form PostgreSQL can give `alert_universe_full`:
// the plain one the reader splits itself and those it reads again as JSON.
const ROWS: [number, boolean, string][] = [
  [1, true, `ARRAY['AAPL','MSFT','BRK.A']`],
  [2, true, `ARRAY['AAPL',NULL,'BF-B']`],
  [3, true, `ARRAY['NULL','a b','x,y','q"uote','back\\slash','']`],
  [4, true, `ARRAY[['AAPL'],['MSFT']]`],
  [5, true, `'[0:1]={AAPL,MSFT}'::text[]`],
  [6, true, `ARRAY['ÄPFEL','MSFT']`],
  [7, true, `ARRAY[]::text[]`],
  [8, true, `NULL`],
  [9, false, `ARRAY['IBM']`],
  [10, true, `ARRAY[NULL,NULL]::text[]`],
];

describe('StrategyReader.fetchManyWithDigest', () => {
  let db: TestSchema;
  beforeAll(async () => {
    db = await createTestSchema({ label: 'reader' });
    await db.pool.query(
      'CREATE TABLE strategies (strategyid integer PRIMARY KEY, alertactive boolean NOT NULL, alert_universe_full text[])',
    );
    for (const [id, active, universe] of ROWS)
      await db.pool.query(
        `INSERT INTO strategies VALUES ($1, $2, ${universe})`,
        [id, active],
      );
  });
  afterAll(() => db.drop());

  it('returns, for every form of universe, the row fetch() reads and the digest digests() computes', async () => {
    const reader = createStrategyReader(db.pool);
    const ids = [...ROWS.map(r => r[0]), 99];
    const got = await reader.fetchManyWithDigest(ids);
    const digests = await reader.digests(ids);
    expect([...got.keys()].sort((a, b) => a - b)).toEqual(ROWS.map(r => r[0]));
    for (const [id] of ROWS) {
      expect(got.get(id)!.row).toEqual(await reader.fetch(id));
      expect(got.get(id)!.digest).toBe(digests.get(id)!.digest);
    }
    expect(got.get(2)!.row.alert_universe_full).toEqual(['AAPL', null, 'BF-B']);
    expect(got.get(4)!.row.alert_universe_full).toEqual([['AAPL'], ['MSFT']]);
    expect(got.get(8)).toEqual({
      row: { strategyid: 8, alertactive: true, alert_universe_full: null },
      digest: expect.stringMatching(/^\d+\/\(\d+,\d+\)\/-1$/),
    });
  });

  it('the version changes with every write of the row, not with reads', async () => {
    const reader = createStrategyReader(db.pool);
    const version = async () => (await reader.digests([1])).get(1)!.digest;
    const before = await version();
    await reader.fetchManyWithDigest([1]);
    expect(await version()).toBe(before);
    // The same value written again is a new tuple: a new version.
    await db.pool.query(
      'UPDATE strategies SET alert_universe_full = alert_universe_full WHERE strategyid = 1',
    );
    const rewritten = await version();
    expect(rewritten).not.toBe(before);
    await db.pool.query(
      `UPDATE strategies SET alert_universe_full = ARRAY['AAPL','MSFT','BRK.B'] WHERE strategyid = 1`,
    );
    expect(await version()).not.toBe(rewritten);
  });
});
