import { createStrategySource } from '../src/strategy-source';
import { createStrategiesSchema, type TestSchema } from './pg-schema';

describe('strategy source (the universe rule universe-sync uses)', () => {
  let schema: TestSchema;
  beforeEach(async () => {
    schema = await createStrategiesSchema();
  });
  afterEach(async () => {
    await schema.drop();
  });

  const insert = async (universe: string, timeframe = 'NULL') => {
    const { rows } = await schema.pool.query<{ strategyid: number }>(
      `INSERT INTO strategies (alertactive, alert_universe_full, min_timeframe)
       VALUES (true, ${universe}, ${timeframe}) RETURNING strategyid`,
    );
    return rows[0]!.strategyid;
  };

  it('counts only what universe-sync writes: valid ASCII tickers, no set for invalid or malformed universes', async () => {
    const mixed = await insert(
      `ARRAY['aapl', ' AAPL ', 'ıbm', 'ß', 'MS FT', 'TSLA']`,
    );
    const allInvalid = await insert(`ARRAY['ſpy', 'ﬁ', '$X']`);
    const malformed = await insert(`ARRAY[['AAPL'],['MSFT']]`);
    const global = await insert(`NULL`, `'5m'`);
    const blanks = await insert(`ARRAY[NULL, ' ']`);
    await schema.pool.query(
      `INSERT INTO strategies (alertactive, alert_universe_full) VALUES (false, ARRAY['NVDA'])`,
    );

    const listed = await createStrategySource(schema.pool).listActive();
    expect(listed).toEqual([
      { id: mixed, global: false, universeSize: 2, timeframe: '1d' },
      { id: allInvalid, global: false, universeSize: 0, timeframe: '1d' },
      { id: malformed, global: false, universeSize: 0, timeframe: '1d' },
      { id: global, global: true, universeSize: 0, timeframe: '5m' },
      { id: blanks, global: true, universeSize: 0, timeframe: '1d' },
    ]);
  });
});
