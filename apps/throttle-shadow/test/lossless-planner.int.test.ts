import type { Redis } from 'ioredis';
import { deletePrefix, testRedis, uniquePrefix } from '@tickpulse/testkit';
import { createKeys, type RedisKeys } from '@tickpulse/contracts';
import { bucketStart, createThrottlePlanner } from '@tickpulse/throttle';
import { timeframeOrNull } from '../src/throttle-models';
import { CYCLES, matches, run, s, STRATEGIES, tickUpdAt } from './model-script';

// The shadow's lossless model claims to count what the planner's lossless
// mode does. This replays the model test's scripted 20 minutes on real
// Redis through the planner (plan → evaluate → record, every 10 s cycle)
// and compares runs and evaluations strategy by strategy.
describe('the planner’s lossless mode against the shadow’s lossless model', () => {
  let redis: Redis;
  let prefix: string;
  let keys: RedisKeys;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = uniquePrefix('lossless');
    keys = createKeys(prefix);
  });
  afterEach(() => deletePrefix(redis, prefix));
  afterAll(() => redis.quit());

  it('makes the runs and evaluations the model counts, and misses no trade', async () => {
    const planner = createThrottlePlanner(redis, keys);
    // The planner needs a bucket: an invalid timeframe is refused (400).
    const plannable = STRATEGIES.filter(x => timeframeOrNull(x.timeframe));
    for (const x of plannable)
      if (x.universeSet.length > 0)
        await redis.sadd(keys.stratUniv(x.id), ...x.universeSet);

    const tally = new Map(plannable.map(x => [x.id, { runs: 0, evals: 0 }]));
    for (let k = 0; k < CYCLES; k++) {
      const atMs = s(10 * k);
      const market = tickUpdAt(atMs);
      // What tick-writer would have written by now (ZADD GT).
      await redis.zadd(
        keys.tickUpd(),
        'GT',
        ...[...market].flatMap(([t, ms]) => [ms, t]),
      );
      for (const x of plannable) {
        const bucket = bucketStart(atMs, x.timeframe);
        const plan = await planner.plan(
          { id: x.id, global: x.universeSet.length === 0 },
          bucket,
          { mode: 'claim', throttle: 'lossless' },
        );
        if (plan.tickers.length === 0) continue;
        const t = tally.get(x.id)!;
        t.runs++;
        t.evals += plan.tickers.length;
        expect(plan.seenMs).toEqual(plan.tickers.map(tk => market.get(tk)));
        await planner.recordLossless(
          x.id,
          {
            tickers: plan.tickers,
            seenMs: plan.seenMs!,
            triggered: plan.tickers.filter(tk => matches(x.id, tk, atMs)),
          },
          bucket,
          plan.claimId,
        );
      }
    }

    const model = new Map(run().strategies.map(x => [x.id, x.lossless]));
    for (const [id, t] of tally)
      expect({ id, runs: t.runs, evaluations: t.evals }).toEqual({
        id,
        runs: model.get(id)!.runs,
        evaluations: model.get(id)!.evaluations,
      });
    // Every trade was evaluated: each ticker's SEEN is its newest trade.
    const last = tickUpdAt(s(10 * (CYCLES - 1)));
    for (const x of plannable.filter(p => p.universeSet.length > 0)) {
      const seen = await redis.hgetall(keys.stratSeen(x.id));
      for (const t of x.universeSet.filter(u => (last.get(u) ?? 0) >= s(0)))
        expect({ id: x.id, t, seen: Number(seen[t]) }).toEqual({
          id: x.id,
          t,
          seen: last.get(t),
        });
    }
  });
});
