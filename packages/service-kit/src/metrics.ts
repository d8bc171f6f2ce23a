import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A fresh registry for one process, with Node's process metrics (CPU, RSS,
 * event-loop lag, GC). Shared code never uses prom-client's global registry.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Sum of every series of a counter or gauge in the registry (0 when absent). */
export async function metricTotal(
  registry: Registry,
  name: string,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}
