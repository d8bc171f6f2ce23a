-- Demo schema and strategies for docker-compose and local runs. Idempotent:
-- safe to run on every start. The real `strategies` table has more columns;
-- tickpulse reads only strategyid, alertactive and alert_universe_full.
CREATE TABLE IF NOT EXISTS strategies (
  strategyid serial PRIMARY KEY,
  alertactive boolean NOT NULL DEFAULT false,
  alert_universe_full text[],
  min_timeframe text
);

INSERT INTO strategies (strategyid, alertactive, alert_universe_full, min_timeframe)
VALUES
  (1, true, ARRAY['AAPL', 'MSFT', 'NVDA', 'AMZN'], '1m'),
  (2, true, ARRAY['TSLA', 'AMD', 'META', 'GOOGL', 'NFLX'], '5m'),
  (3, true, ARRAY['SPY', 'QQQ', 'IWM'], '15m'),
  -- global strategy: NULL universe, so no STRAT:4:UNIV set
  (4, true, NULL, '1m'),
  -- inactive: no set either
  (5, false, ARRAY['AAPL', 'INTC'], '1h')
ON CONFLICT (strategyid) DO NOTHING;

-- Keep the serial ahead of the explicit ids above.
SELECT setval(
  pg_get_serial_sequence('strategies', 'strategyid'),
  (SELECT max(strategyid) FROM strategies)
);
