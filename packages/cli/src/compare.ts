import { parseArgs } from 'node:util';
import { createKeys } from '@tickpulse/contracts';
import { type RedisClient } from '@tickpulse/redis';
import {
  compareNamespaces,
  type ComparisonSamples,
  type NamespaceComparison,
} from '@tickpulse/throttle';

/** What `tickpulse compare` needs. */
export interface CompareDeps {
  redis: RedisClient;
  /** The environment's `REDIS_KEY_PREFIX`: the shadow namespace unless `--shadow-prefix` says otherwise. */
  defaultShadowPrefix: string;
  print: (line: string) => void;
  printError: (line: string) => void;
  /** COUNT hint per SCAN page (tests use small pages). */
  pageSize?: number;
}

export const COMPARE_USAGE = `usage: tickpulse compare [--reference-prefix P] [--shadow-prefix P] [--json]

  Compares TICK:UPD and every STRAT:*:UNIV of the reference namespace (default: the unprefixed
  keys the Go service writes) with the shadow namespace (default: REDIS_KEY_PREFIX).
  --json prints one JSON object. Exit 0 when compared (differences included), 1 on a Redis
  error, 2 on bad arguments.`;

/** `tickpulse compare`: how far the shadow namespace is from the reference one. */
export async function compareCommand(
  deps: CompareDeps,
  args: string[],
): Promise<number> {
  let values: {
    'reference-prefix'?: string;
    'shadow-prefix'?: string;
    json?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'reference-prefix': { type: 'string' },
        'shadow-prefix': { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    deps.printError(`${(err as Error).message}\n\n${COMPARE_USAGE}`);
    return 2;
  }
  const referencePrefix = values['reference-prefix'] ?? '';
  const shadowPrefix = values['shadow-prefix'] ?? deps.defaultShadowPrefix;
  if (referencePrefix === shadowPrefix) {
    deps.printError(
      `the reference and shadow namespaces are the same (${describePrefix(shadowPrefix)}): pass --shadow-prefix or set REDIS_KEY_PREFIX\n\n${COMPARE_USAGE}`,
    );
    return 2;
  }
  let result: { comparison: NamespaceComparison; samples: ComparisonSamples };
  try {
    result = await compareNamespaces(
      deps.redis,
      createKeys(referencePrefix),
      createKeys(shadowPrefix),
      { pageSize: deps.pageSize },
    );
  } catch (err) {
    deps.printError(`tickpulse compare: ${(err as Error).message}`);
    return 1;
  }
  if (values.json) deps.print(JSON.stringify(result.comparison));
  else
    for (const line of formatComparison(
      result.comparison,
      result.samples,
      referencePrefix,
      shadowPrefix,
    ))
      deps.print(line);
  return 0;
}

const describePrefix = (p: string) =>
  p === '' ? 'unprefixed' : `prefix ${JSON.stringify(p)}`;

const withIds = (n: number, ids: number[]) =>
  ids.length === 0
    ? String(n)
    : `${n} (e.g. ${ids.join(', ')}${n > ids.length ? ', …' : ''})`;

/** The human-readable report. */
export function formatComparison(
  c: NamespaceComparison,
  samples: ComparisonSamples,
  referencePrefix: string,
  shadowPrefix: string,
): string[] {
  const t = c.ticks;
  const u = c.universes;
  return [
    `reference: ${describePrefix(referencePrefix)}; shadow: ${describePrefix(shadowPrefix)}`,
    `TICK:UPD      reference ${t.reference}, shadow ${t.shadow}, in both ${t.both}, only reference ${t.onlyReference}, only shadow ${t.onlyShadow}`,
    `              in both: equal ${t.equal}, shadow ahead ${t.shadowAhead}, shadow behind ${t.shadowBehind}; |delta| p50 ${t.absDeltaMs.p50} ms, p99 ${t.absDeltaMs.p99} ms, max ${t.absDeltaMs.max} ms`,
    `STRAT:*:UNIV  reference ${u.reference}, shadow ${u.shadow}, equal ${u.equal}, differ ${withIds(u.differ, samples.differ)}, only reference ${withIds(u.onlyReference, samples.onlyReference)}, only shadow ${withIds(u.onlyShadow, samples.onlyShadow)}`,
  ];
}
