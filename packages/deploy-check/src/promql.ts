/**
 * Metric names the deploy files assume the apps export (mirrors the header of
 * deploy/monitoring/tickpulse-alerts.yml and the dashboard's m_* constants;
 * the tests keep the three in step). Histograms are listed by base name.
 */
export const ASSUMED_METRICS = [
  'tickpulse_tick_updates_total',
  'tickpulse_universe_updates_total',
  'tickpulse_ingest_connection_state',
  'tickpulse_ingest_leader',
  'tickpulse_ingest_trades_received_total',
  'tickpulse_ingest_trades_eligible_total',
  'tickpulse_ingest_reconnects_total',
  'tickpulse_ingest_trade_lag_seconds',
  'tickpulse_tick_writer_freshness_seconds',
  'tickpulse_tick_writer_queue_jobs',
  'tickpulse_tick_writer_failures_total',
  'tickpulse_universe_sync_jobs_total',
  'tickpulse_universe_reconcile_total',
  'tickpulse_tick_writer_redis_check',
  'tickpulse_redis_footprint_bytes',
  'tickpulse_redis_footprint_budget_bytes',
  'tickpulse_compare_tickers',
  'tickpulse_compare_tick_abs_delta_seconds',
  'tickpulse_compare_universes',
  'tickpulse_throttle_shadow_ticker_evaluations_total',
  'tickpulse_throttle_shadow_late_updates_total',
  'tickpulse_throttle_shadow_go_path_strategies',
  'tickpulse_ingest_tickers_refused_total',
  'tickpulse_ingest_silent_feeds_total',
  'tickpulse_ingest_invalid_total',
  'tickpulse_ingest_rest_requests_total',
  'tickpulse_tick_writer_ticks_rejected_total',
  'tickpulse_universe_notifications_total',
  'tickpulse_universe_invalid_strategy_ids',
] as const;

/** Prometheus' own series that expressions may use besides tickpulse ones. */
export const BUILTIN_METRICS = ['up'];

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: identifiers that are not
 * functions, keywords, label names (inside `{}` or a grouping clause),
 * strings, durations or Grafana variables.
 *
 * @param expr a PromQL expression (Grafana `$var` / `${var}` already resolved
 *   or left in; leftovers are ignored)
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(
      /\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g,
      ' ',
    )
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  const ident = /([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g;
  for (let m = ident.exec(stripped); m; m = ident.exec(stripped)) {
    const [, name, call] = m;
    const before = stripped[m.index - 1];
    if (call || !name || KEYWORDS.has(name.toLowerCase())) continue;
    if (before && /[0-9.]/.test(before)) continue; // 5m, 1e3, 0.99
    names.add(name);
  }
  return [...names];
}

/** Whether a name is an assumed tickpulse metric (or a histogram series of one). */
export function isKnownMetric(name: string): boolean {
  if (BUILTIN_METRICS.includes(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return (ASSUMED_METRICS as readonly string[]).some(
    m => m === name || m === base,
  );
}
