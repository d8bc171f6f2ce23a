-- Demo schema and strategies for docker-compose and local runs. Idempotent:
-- safe to run on every start. The real `strategies` table has more columns;
-- universe-sync reads strategyid, alertactive and alert_universe_full;
-- throttle-shadow also reads alert_universe (the symbols the user typed,
-- from which the Go backend derives alert_universe_full), min_timeframe and
-- alert_last_trigger_at.
CREATE TABLE IF NOT EXISTS strategies (
  strategyid serial PRIMARY KEY,
  alertactive boolean NOT NULL DEFAULT false,
  alert_universe text[],
  alert_universe_full text[],
  min_timeframe text,
  alert_last_trigger_at timestamptz
);
-- Tables created by an earlier version of this file lack these.
ALTER TABLE strategies ADD COLUMN IF NOT EXISTS alert_universe text[];
ALTER TABLE strategies ADD COLUMN IF NOT EXISTS alert_last_trigger_at timestamptz;

INSERT INTO strategies (strategyid, alertactive, alert_universe, alert_universe_full, min_timeframe)
VALUES
  (1, true, ARRAY['AAPL', 'MSFT', 'NVDA', 'AMZN'], ARRAY['AAPL', 'MSFT', 'NVDA', 'AMZN'], '1m'),
  (2, true, ARRAY['TSLA', 'AMD', 'META', 'GOOGL', 'NFLX'], ARRAY['TSLA', 'AMD', 'META', 'GOOGL', 'NFLX'], '5m'),
  (3, true, ARRAY['SPY', 'QQQ', 'IWM'], ARRAY['SPY', 'QQQ', 'IWM'], '15m'),
  -- global strategy: NULL universe, so no STRAT:4:UNIV set
  (4, true, NULL, NULL, '1m'),
  -- inactive: no set either
  (5, false, ARRAY['AAPL', 'INTC'], ARRAY['AAPL', 'INTC'], '1h'),
  -- typed symbols but no alert_universe_full: no set, so the Go loop's
  -- per-ticker path never runs it (throttle-report lists it as disabled)
  (6, true, ARRAY['IBM'], NULL, '1h')
ON CONFLICT (strategyid) DO NOTHING;

-- Keep the serial ahead of the explicit ids above.
SELECT setval(
  pg_get_serial_sequence('strategies', 'strategyid'),
  (SELECT max(strategyid) FROM strategies)
);
