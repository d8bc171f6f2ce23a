import {
  deletePrefix,
  seededRandom,
  startRedisCluster,
  startRedisSentinel,
  testRedis,
  uniqueName,
  uniquePrefix,
  waitFor,
  type TestRedisCluster,
  type TestRedisSentinel,
} from '@tickpulse/testkit';
import { createKeys, type RedisKeys } from '@tickpulse/contracts';
import { type RedisClient } from '@tickpulse/redis';
import { createThrottlePlanner, type PlanStats } from '../src';

const BUCKET = 1752552000000;
const FAR_FUTURE = 4102444800000; // 2100-01-01
const sorted = (a: Iterable<string>) => [...a].sort();

interface Scenario {
  global: boolean;
  scores: Map<string, number>;
  universe: Set<string>;
  last: Map<string, string>;
  claims: Map<string, string>;
}

/** The planner's definition, by brute force over plain JS collections. */
function reference(
  s: Scenario,
  bucket: number,
): { due: string[]; stats: PlanStats } {
  const scope = s.global ? [...s.scores.keys()] : [...s.universe];
  const updated = scope.filter(t => (s.scores.get(t) ?? -Infinity) >= bucket);
  const already = updated.filter(t => s.last.get(t) === String(bucket));
  const fresh = updated.filter(t => s.last.get(t) !== String(bucket));
  const live = (t: string) => {
    const m = /^(-?\d+):(\d+):/.exec(s.claims.get(t) ?? '');
    return !!m && m[1] === String(bucket) && Number(m[2]) > Date.now();
  };
  return {
    due: sorted(fresh.filter(t => !live(t))),
    stats: {
      universe: s.global ? s.scores.size : s.universe.size,
      updated: updated.length,
      alreadyEvaluated: already.length,
      claimedElsewhere: fresh.filter(live).length,
    },
  };
}

function randomScenario(rand: () => number, size: number): Scenario {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const tickers = Array.from(
    { length: size },
    (_, i) => pick(['T', 'BRK.', 'X', 'ZZ']) + i.toString(36).toUpperCase(),
  );
  const s: Scenario = {
    global: rand() < 0.3,
    scores: new Map(),
    universe: new Set(),
    last: new Map(),
    claims: new Map(),
  };
  const pUpdated = rand();
  const pUniverse = rand() < 0.1 ? 0 : rand();
  for (const t of tickers) {
    if (rand() < pUpdated) {
      s.scores.set(
        t,
        pick([
          BUCKET,
          BUCKET - 1,
          BUCKET + 1,
          BUCKET - 86_400_000,
          BUCKET + Math.floor(rand() * 1e7),
        ]),
      );
    }
    if (rand() < pUniverse) s.universe.add(t);
    if (rand() < 0.4) {
      s.last.set(
        t,
        pick([
          String(BUCKET),
          String(BUCKET),
          String(BUCKET - 60_000),
          String(BUCKET + 60_000),
          `+${BUCKET}`,
          `0${BUCKET}`,
          `${BUCKET}.0`,
          ` ${BUCKET}`,
          'yesterday',
          '',
        ]),
      );
    }
    if (rand() < 0.15) {
      s.claims.set(
        t,
        pick([
          `${BUCKET}:${FAR_FUTURE}:other`,
          `${BUCKET}:1:expired`,
          `${BUCKET - 60_000}:${FAR_FUTURE}:old-bucket`,
          'garbage',
          `${BUCKET}:notanumber:x`,
        ]),
      );
    }
  }
  return s;
}

async function load(
  redis: RedisClient,
  keys: RedisKeys,
  id: number,
  s: Scenario,
) {
  // Single-key commands, no pipeline: on a cluster the keys are on different nodes.
  const writes: Promise<unknown>[] = [];
  const z = [...s.scores].flatMap(([t, ms]) => [ms, t]);
  for (let i = 0; i < z.length; i += 2000)
    writes.push(redis.zadd(keys.tickUpd(), ...z.slice(i, i + 2000)));
  const u = [...s.universe];
  for (let i = 0; i < u.length; i += 2000)
    writes.push(redis.sadd(keys.stratUniv(id), ...u.slice(i, i + 2000)));
  const l = [...s.last].flat();
  for (let i = 0; i < l.length; i += 2000)
    writes.push(redis.hset(keys.stratLast(id), ...l.slice(i, i + 2000)));
  const c = [...s.claims].flat();
  for (let i = 0; i < c.length; i += 2000)
    writes.push(redis.hset(keys.stratClaim(id), ...c.slice(i, i + 2000)));
  await Promise.all(writes);
}

// The same cases on the shared standalone Redis, on a private Sentinel set
// and on a private 3-master cluster. There the prefix has no hash tag, so
// TICK:UPD, STRAT:<id>:UNIV and STRAT:<id>:LAST land in different slots as
// the production keys do, and the planner takes its cluster path.
describe.each(['standalone', 'sentinel', 'cluster'] as const)(
  'throttle planner against real Redis (%s)',
  topology => {
    let redis: RedisClient;
    let cluster: TestRedisCluster | undefined;
    let sentinel: TestRedisSentinel | undefined;
    let prefix: string;
    let keys: RedisKeys;

    beforeAll(async () => {
      if (topology === 'cluster') {
        cluster = await startRedisCluster();
        redis = cluster.client();
      } else if (topology === 'sentinel') {
        sentinel = await startRedisSentinel();
        redis = sentinel.client();
      } else redis = testRedis();
    }, 60_000);
    beforeEach(async () => {
      prefix =
        topology === 'cluster'
          ? `${uniqueName('plan')}:`
          : uniquePrefix('plan');
      keys = createKeys(prefix);
      if (cluster) {
        const slots = new Set(
          await Promise.all(
            [keys.tickUpd(), keys.stratUniv(1), keys.stratLast(1)].map(k =>
              cluster!.keySlot(k),
            ),
          ),
        );
        expect(slots.size).toBe(3);
      }
    });
    afterEach(() => deletePrefix(redis, prefix));
    afterAll(async () => {
      await redis.quit();
      await cluster?.stop();
      await sentinel?.stop();
    });

    it('matches a brute-force reference on randomized data (preview writes nothing)', async () => {
      const planner = createThrottlePlanner(redis, keys);
      const branches = { global: 0, universe: 0, emptyUniverse: 0 };
      for (let seed = 1; seed <= 80; seed++) {
        const rand = seededRandom(seed);
        // A few large seeds push every chunked unpack past Lua's ~8000 limit.
        const size = seed % 20 === 0 ? 12_000 : Math.floor(rand() * 600) + 1;
        const s = randomScenario(rand, size);
        const id = seed;
        await load(redis, keys, id, s);
        const before = await redis.hgetall(keys.stratClaim(id));
        const got = await planner.plan({ id, global: s.global }, BUCKET);
        const want = reference(s, BUCKET);
        expect({ seed, due: sorted(got.tickers), stats: got.stats }).toEqual({
          seed,
          due: want.due,
          stats: want.stats,
        });
        expect(got.claimId).toBeUndefined();
        expect(await redis.hgetall(keys.stratClaim(id))).toEqual(before);
        expect(await redis.hlen(keys.stratLast(id))).toBe(s.last.size);
        if (s.global) branches.global++;
        else if (s.universe.size === 0) branches.emptyUniverse++;
        else branches.universe++;
        await deletePrefix(redis, prefix);
      }
      expect(branches.global).toBeGreaterThan(5);
      expect(branches.universe).toBeGreaterThan(5);
      expect(branches.emptyUniverse).toBeGreaterThan(0);
    });

    it('walks both sides of the intersection (few updates vs a small universe)', async () => {
      const planner = createThrottlePlanner(redis, keys);
      const many = Array.from({ length: 9000 }, (_, i) => `U${i}`);
      await redis.zadd(keys.tickUpd(), ...many.flatMap(t => [BUCKET + 5, t]));
      await redis.sadd(keys.stratUniv(1), 'U1', 'U2', 'NOPE');
      await redis.sadd(keys.stratUniv(2), ...many.slice(0, 8500), 'NOPE');
      await redis.zadd(keys.tickUpd(), BUCKET - 1, 'OLD', 'inf', 'FOREVER');
      await redis.sadd(keys.stratUniv(3), 'OLD', 'FOREVER', 'U7');
      expect(
        sorted((await planner.plan({ id: 1, global: false }, BUCKET)).tickers),
      ).toEqual(['U1', 'U2']);
      const big = await planner.plan({ id: 2, global: false }, BUCKET);
      expect(big.tickers).toHaveLength(8500);
      expect(big.stats).toEqual({
        universe: 8501,
        updated: 8500,
        alreadyEvaluated: 0,
        claimedElsewhere: 0,
      });
      expect(
        sorted((await planner.plan({ id: 3, global: false }, BUCKET)).tickers),
      ).toEqual(['FOREVER', 'U7']);
    });

    it('claims atomically: the claimed tickers are not handed out again in the bucket', async () => {
      const planner = createThrottlePlanner(redis, keys);
      await redis.zadd(
        keys.tickUpd(),
        BUCKET,
        'AAPL',
        BUCKET,
        'MSFT',
        BUCKET,
        'TSLA',
      );
      await redis.sadd(keys.stratUniv(7), 'AAPL', 'MSFT', 'TSLA');
      const first = await planner.plan({ id: 7, global: false }, BUCKET, {
        mode: 'claim',
        claimId: 'w1',
      });
      expect(sorted(first.tickers)).toEqual(['AAPL', 'MSFT', 'TSLA']);
      expect(first.claimId).toBe('w1');
      expect(first.claimExpiresAtMs).toBeGreaterThan(Date.now() - 60_000);
      const claims = await redis.hgetall(keys.stratClaim(7));
      expect(Object.keys(claims).sort()).toEqual(['AAPL', 'MSFT', 'TSLA']);
      expect(claims.AAPL).toBe(`${BUCKET}:${first.claimExpiresAtMs}:w1`);
      expect(await redis.pttl(keys.stratClaim(7))).toBeGreaterThan(0);

      const second = await planner.plan({ id: 7, global: false }, BUCKET, {
        mode: 'claim',
      });
      expect(second.tickers).toEqual([]);
      expect(second.stats.claimedElsewhere).toBe(3);
      // LAST is untouched until the evaluation succeeds, as in the Go loop.
      expect(await redis.exists(keys.stratLast(7))).toBe(0);
      // The next bucket is a new bucket.
      const next = await planner.plan(
        { id: 7, global: false },
        BUCKET - 60_000,
        {
          mode: 'preview',
        },
      );
      expect(next.tickers).toHaveLength(3);
    });

    it('records success in LAST (decimal strings) and drops only the holder\u2019s claims', async () => {
      const planner = createThrottlePlanner(redis, keys);
      await redis.zadd(keys.tickUpd(), BUCKET, 'AAPL', BUCKET, 'MSFT');
      const a = await planner.plan({ id: 8, global: true }, BUCKET, {
        mode: 'claim',
        claimId: 'w1',
      });
      expect(sorted(a.tickers)).toEqual(['AAPL', 'MSFT']);
      expect(await planner.recordEvaluated(8, ['AAPL'], BUCKET, 'w1')).toBe(1);
      expect(await redis.hgetall(keys.stratLast(8))).toEqual({
        AAPL: String(BUCKET),
      });
      expect(Object.keys(await redis.hgetall(keys.stratClaim(8)))).toEqual([
        'MSFT',
      ]);
      // Another claimant's release must not free w1's claim.
      expect(await planner.release(8, ['MSFT'], BUCKET, 'w2')).toBe(0);
      expect(
        (await planner.plan({ id: 8, global: true }, BUCKET)).tickers,
      ).toEqual([]);
      // Failure: w1 releases and the ticker is due again.
      expect(await planner.release(8, ['MSFT'], BUCKET, 'w1')).toBe(1);
      expect(
        (await planner.plan({ id: 8, global: true }, BUCKET)).tickers,
      ).toEqual(['MSFT']);
      const stats = (await planner.plan({ id: 8, global: true }, BUCKET)).stats;
      expect(stats).toEqual({
        universe: 2,
        updated: 2,
        alreadyEvaluated: 1,
        claimedElsewhere: 0,
      });
    });

    it('records without a claim, as the Go loop does, over many tickers', async () => {
      const planner = createThrottlePlanner(redis, keys);
      const tickers = Array.from({ length: 9000 }, (_, i) => `R${i}`);
      expect(await planner.recordEvaluated(9, tickers, BUCKET)).toBe(9000);
      expect(await redis.hlen(keys.stratLast(9))).toBe(9000);
      expect(await redis.hget(keys.stratLast(9), 'R8999')).toBe(String(BUCKET));
      expect(await planner.recordEvaluated(9, [], BUCKET)).toBe(0);
    });

    it('lossless: due again after a newer trade until it triggers, LAST still written for Go', async () => {
      const planner = createThrottlePlanner(redis, keys);
      const strat = { id: 11, global: false };
      await redis.sadd(keys.stratUniv(11), 'AAPL', 'MSFT');
      await redis.zadd(keys.tickUpd(), BUCKET + 5, 'AAPL', BUCKET + 6, 'MSFT');
      const lossless = { mode: 'claim', throttle: 'lossless' } as const;

      const first = await planner.plan(strat, BUCKET, lossless);
      expect(sorted(first.tickers)).toEqual(['AAPL', 'MSFT']);
      const seenOf = (p: typeof first, t: string) =>
        p.seenMs![p.tickers.indexOf(t)];
      expect(seenOf(first, 'AAPL')).toBe(BUCKET + 5);
      expect(first.stats).toEqual({
        universe: 2,
        updated: 2,
        alreadyEvaluated: 0,
        claimedElsewhere: 0,
        triggered: 0,
      });
      // MSFT matched (an alert); AAPL did not.
      expect(
        await planner.recordLossless(
          11,
          { ...first, triggered: ['MSFT'] } as never,
          BUCKET,
          first.claimId,
        ),
      ).toEqual({ recorded: 2, triggered: 1 });
      expect(await redis.hgetall(keys.stratLast(11))).toEqual({
        AAPL: String(BUCKET),
        MSFT: String(BUCKET),
      });
      expect(await redis.exists(keys.stratClaim(11))).toBe(0);

      // Nothing new: nothing due, in either throttle.
      const quiet = await planner.plan(strat, BUCKET, lossless);
      expect(quiet.tickers).toEqual([]);
      expect(quiet.stats).toMatchObject({ alreadyEvaluated: 1, triggered: 1 });

      // Both trade again in the bucket: Go's rule has evaluated both; the
      // lossless one re-evaluates AAPL (not triggered) and not MSFT.
      await redis.zadd(
        keys.tickUpd(),
        BUCKET + 50,
        'AAPL',
        BUCKET + 60,
        'MSFT',
      );
      expect(
        (await planner.plan(strat, BUCKET, { throttle: 'go' })).tickers,
      ).toEqual([]);
      const again = await planner.plan(strat, BUCKET, lossless);
      expect(again.tickers).toEqual(['AAPL']);
      expect(again.seenMs).toEqual([BUCKET + 50]);
      await planner.recordLossless(
        11,
        { tickers: again.tickers, seenMs: again.seenMs!, triggered: [] },
        BUCKET,
        again.claimId,
      );

      // The next bucket: MSFT's trigger was for the last one.
      const next = BUCKET + 60_000;
      await redis.zadd(keys.tickUpd(), next + 1, 'MSFT');
      expect((await planner.plan(strat, next, lossless)).tickers).toEqual([
        'MSFT',
      ]);
    });

    it('lossless: a trade after the last plan of a bucket is planned in the next one', async () => {
      const planner = createThrottlePlanner(redis, keys);
      const strat = { id: 12, global: true };
      const lossless = { mode: 'claim', throttle: 'lossless' } as const;
      await redis.zadd(keys.tickUpd(), BUCKET + 1, 'AAPL', BUCKET + 2, 'MSFT');
      const p = await planner.plan(strat, BUCKET, lossless);
      expect(sorted(p.tickers)).toEqual(['AAPL', 'MSFT']);
      // AAPL is evaluated; MSFT's evaluation fails and is released.
      await planner.recordLossless(
        12,
        { tickers: ['AAPL'], seenMs: [BUCKET + 1], triggered: [] },
        BUCKET,
        p.claimId,
      );
      expect(await planner.release(12, ['MSFT'], BUCKET, p.claimId!)).toBe(1);
      // AAPL trades late in the bucket, after the bucket's last plan.
      await redis.zadd(keys.tickUpd(), BUCKET + 59_000, 'AAPL');
      const next = BUCKET + 60_000;
      const q = await planner.plan(strat, next, lossless);
      expect(sorted(q.tickers)).toEqual(['AAPL', 'MSFT']);
      expect(q.seenMs![q.tickers.indexOf('AAPL')]).toBe(BUCKET + 59_000);
      // The Go rule reads only the new bucket's trades.
      expect((await planner.plan(strat, next)).tickers).toEqual([]);
      await planner.recordLossless(
        12,
        { tickers: q.tickers, seenMs: q.seenMs!, triggered: [] },
        next,
        q.claimId,
      );
      // Everything owed was evaluated: the window closes to the bucket.
      expect((await planner.plan(strat, next, lossless)).tickers).toEqual([]);
      expect(await redis.hget(keys.stratSeen(12), '*')).toBe(String(next));
    });

    it('lossless: SEEN only moves forward, and a bad record is refused before Redis', async () => {
      const planner = createThrottlePlanner(redis, keys);
      const rec = (seenMs: number) =>
        planner.recordLossless(
          13,
          { tickers: ['AAPL'], seenMs: [seenMs], triggered: [] },
          BUCKET,
        );
      await rec(BUCKET + 9);
      await rec(BUCKET + 3); // an evaluator finishing late, with an older trade
      expect(await redis.hget(keys.stratSeen(13), 'AAPL')).toBe(
        String(BUCKET + 9),
      );
      await expect(
        planner.recordLossless(
          13,
          { tickers: ['AAPL'], seenMs: [], triggered: [] },
          BUCKET,
        ),
      ).rejects.toThrow(/one entry per ticker/);
      await expect(
        planner.recordLossless(
          13,
          { tickers: ['AAPL'], seenMs: [1.5], triggered: [] },
          BUCKET,
        ),
      ).rejects.toThrow(/seenMs\[0\]/);
      await expect(
        planner.recordLossless(
          13,
          { tickers: ['AAPL'], seenMs: [BUCKET], triggered: ['MSFT'] },
          BUCKET,
        ),
      ).rejects.toThrow(/subset of tickers.*MSFT/);
      await expect(
        planner.plan({ id: 13, global: true }, BUCKET, {
          throttle: 'fast' as never,
        }),
      ).rejects.toThrow(/throttle/);
      expect(await redis.exists(keys.stratTriggered(13))).toBe(0);
    });

    it('hands a crashed claimant\u2019s tickers out again once the claim expires', async () => {
      const planner = createThrottlePlanner(redis, keys);
      await redis.zadd(keys.tickUpd(), BUCKET, 'AAPL');
      const a = await planner.plan({ id: 10, global: true }, BUCKET, {
        mode: 'claim',
        claimTtlMs: 200,
      });
      expect(a.tickers).toEqual(['AAPL']);
      const again = await waitFor(
        async () => {
          const r = await planner.plan({ id: 10, global: true }, BUCKET, {
            mode: 'claim',
            claimTtlMs: 60_000,
          });
          return r.tickers.length > 0 ? r : null;
        },
        { timeoutMs: 10_000, what: 'claim expiry' },
      );
      expect(again.tickers).toEqual(['AAPL']);
    });

    it('never hands a ticker out twice in one bucket to concurrent claimants', async () => {
      const tickers = Array.from({ length: 4000 }, (_, i) => `C${i}`);
      await redis.zadd(
        keys.tickUpd(),
        ...tickers.flatMap(t => [BUCKET + 1, t]),
      );
      await redis.sadd(keys.stratUniv(11), ...tickers);
      const clients = Array.from({ length: 16 }, () =>
        cluster ? cluster.client() : sentinel ? sentinel.client() : testRedis(),
      );
      try {
        const planners = clients.map(c => createThrottlePlanner(c, keys));
        // New tickers keep arriving while the claimants race.
        const writer = (async () => {
          for (let i = 0; i < 20; i++) {
            const batch = Array.from({ length: 50 }, (_, j) => `N${i}-${j}`);
            await redis.zadd(
              keys.tickUpd(),
              ...batch.flatMap(t => [BUCKET + 2, t]),
            );
            await redis.sadd(keys.stratUniv(11), ...batch);
          }
        })();
        const handed = await Promise.all(
          planners.flatMap((p, w) =>
            Array.from({ length: 6 }, async () => {
              const r = await p.plan({ id: 11, global: false }, BUCKET, {
                mode: 'claim',
                claimId: `w${w}`,
              });
              return r.tickers;
            }),
          ),
        );
        await writer;
        const all = handed.flat();
        expect(all.length).toBe(new Set(all).size);
        // Whatever was not handed out during the race is handed out once afterwards.
        const rest = await planners[0]!.plan(
          { id: 11, global: false },
          BUCKET,
          {
            mode: 'claim',
          },
        );
        const total = [...all, ...rest.tickers];
        expect(total.length).toBe(new Set(total).size);
        expect(total.length).toBe(4000 + 20 * 50);
      } finally {
        await Promise.all(clients.map(c => c.quit()));
      }
    });

    it('rejects bad arguments before touching Redis', async () => {
      const planner = createThrottlePlanner(redis, keys);
      await expect(planner.plan({ id: 1, global: true }, 1.5)).rejects.toThrow(
        RangeError,
      );
      await expect(
        planner.plan({ id: 1, global: true }, BUCKET, {
          mode: 'claim',
          claimId: 'has space',
        }),
      ).rejects.toThrow(/claimId/);
      await expect(
        planner.plan({ id: 1, global: true }, BUCKET, { claimTtlMs: 0 }),
      ).rejects.toThrow(/claimTtlMs/);
      expect(() => planner.recordEvaluated(1, [''], BUCKET)).toThrow(TypeError);
      expect(() => planner.release(1, ['A'], BUCKET, '')).toThrow(/claimId/);
      await expect(
        planner.plan({ id: -1, global: true }, BUCKET),
      ).rejects.toThrow(RangeError);
    });
  },
);
