import type { Cluster, Redis } from 'ioredis';

/**
 * What `tickpulse compare` must report for `writeCompareFixture` (the shape
 * of shared's `NamespaceComparison` and `ComparisonSamples`, restated here:
 * testkit does not depend on shared).
 */
export const COMPARE_FIXTURE = {
  comparison: {
    ticks: {
      reference: 12,
      shadow: 11,
      both: 10,
      onlyReference: 2,
      onlyShadow: 1,
      equal: 2,
      shadowAhead: 4,
      shadowBehind: 4,
      // |deltas| sorted: 0 0 100 100 200 200 300 300 400 500 → p50 = 5th, p99 = 10th.
      absDeltaMs: { p50: 200, p99: 500, max: 500 },
    },
    universes: {
      reference: 4,
      shadow: 5,
      equal: 1,
      differ: 2,
      onlyReference: 1,
      onlyShadow: 2,
    },
  },
  samples: { differ: [2, 3], onlyReference: [4], onlyShadow: [5, 6] },
} as const;

/** Shadow − reference per shared ticker `T0`…`T9`, in ms. */
const DELTAS = [-400, -300, -200, -100, 0, 0, 100, 200, 300, 500];
const BASE_MS = 1_750_000_000_000;

/**
 * Writes a reference and a shadow namespace with known differences (the
 * counts and percentiles in `COMPARE_FIXTURE`): `TICK:UPD` with 10 shared
 * tickers at the deltas above, 2 only in the reference and 1 only in the
 * shadow; universes 1 equal (members in another order), 2 and 3 different, 4
 * only in the reference, 5 and 6 only in the shadow. Every command names one
 * key, so it works on Redis Cluster (the keys spread over the masters).
 */
export async function writeCompareFixture(
  redis: Redis | Cluster,
  referencePrefix: string,
  shadowPrefix: string,
): Promise<void> {
  const ref = (key: string) => `${referencePrefix}${key}`;
  const sh = (key: string) => `${shadowPrefix}${key}`;
  await redis.zadd(
    ref('TICK:UPD'),
    ...DELTAS.flatMap((_, i) => [BASE_MS, `T${i}`]),
    BASE_MS,
    'ONLYREF1',
    BASE_MS,
    'ONLYREF2',
  );
  await redis.zadd(
    sh('TICK:UPD'),
    ...DELTAS.flatMap((d, i) => [BASE_MS + d, `T${i}`]),
    BASE_MS,
    'ONLYSH',
  );
  await redis.sadd(ref('STRAT:1:UNIV'), 'A', 'B');
  await redis.sadd(sh('STRAT:1:UNIV'), 'B', 'A');
  await redis.sadd(ref('STRAT:2:UNIV'), 'A', 'B');
  await redis.sadd(sh('STRAT:2:UNIV'), 'A', 'C');
  await redis.sadd(ref('STRAT:3:UNIV'), 'A');
  await redis.sadd(sh('STRAT:3:UNIV'), 'A', 'B');
  await redis.sadd(ref('STRAT:4:UNIV'), 'X');
  await redis.sadd(sh('STRAT:5:UNIV'), 'Y');
  await redis.sadd(sh('STRAT:6:UNIV'), 'Z');
}
