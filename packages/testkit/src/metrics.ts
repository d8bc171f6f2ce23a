/** The part of a prom-client `Registry` a series lookup needs (testkit does not depend on prom-client). */
export interface MetricsSource {
  getSingleMetric(name: string):
    | {
        get(): Promise<{
          values: { value: number; labels: Record<string, unknown> }[];
        }>;
      }
    | undefined;
}

/**
 * Value of one labelled series of a counter or gauge (0 when absent): the
 * first series whose labels include every one of `labels`.
 */
export async function seriesValue(
  registry: MetricsSource,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const hit = values.find(v =>
    Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return hit?.value ?? 0;
}
