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

  const insert = async (
    universe: string,
    timeframe = 'NULL',
    typed = 'NULL',
    trigger = 'NULL',
  ) => {
    const { rows } = await schema.pool.query<{ strategyid: number }>(
      `INSERT INTO strategies
         (alertactive, alert_universe_full, min_timeframe, alert_universe, alert_last_trigger_at)
       VALUES (true, ${universe}, ${timeframe}, ${typed}, ${trigger}) RETURNING strategyid`,
    );
    return rows[0]!.strategyid;
  };

  it('reads the Go loop’s inputs, and as the set only what universe-sync writes', async () => {
    const mixed = await insert(
      `ARRAY['aapl', ' AAPL ', 'ıbm', 'ß', 'MS FT', 'TSLA']`,
      'NULL',
      `ARRAY['aapl', NULL, ' ']`,
      `'2025-07-15T14:01:02.345Z'`,
    );
    const allInvalid = await insert(`ARRAY['ſpy', 'ﬁ', '$X']`);
    const malformed = await insert(`ARRAY[['AAPL'],['MSFT']]`);
    const global = await insert(`NULL`, `'5m'`, `'{}'`);
    const blanks = await insert(`ARRAY[NULL, ' ']`);
    await schema.pool.query(
      `INSERT INTO strategies (alertactive, alert_universe_full) VALUES (false, ARRAY['NVDA'])`,
    );

    const listed = await createStrategySource(schema.pool).listActive();
    const row = (id: number, universeSet: string[], extra = {}) => ({
      id,
      alertUniverse: [],
      universeSet,
      timeframe: '1d',
      lastTriggerMs: null,
      ...extra,
    });
    expect(listed).toEqual([
      // Go counts the typed elements as they are (NULL dropped).
      row(mixed, ['AAPL', 'TSLA'], {
        alertUniverse: ['aapl', ' '],
        lastTriggerMs: Date.parse('2025-07-15T14:01:02.345Z'),
      }),
      row(allInvalid, []),
      row(malformed, []),
      row(global, [], { timeframe: '5m' }),
      row(blanks, []),
    ]);
  });
});
