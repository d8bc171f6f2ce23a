import {
  seededRandom,
  startPrivateRedis,
  testRedis,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { createKeys, type RedisKeys } from '@tickpulse/contracts';
import { type RedisClient } from '@tickpulse/redis';
import {
  createThrottlePlanner,
  type PlanOptions,
  type PlanResult,
} from '../src';

const BUCKET = 1752552000000;
const FAR_FUTURE = 4102444800000;
const CHUNK = 300;
const MEMBERS = 2000;

/** Arguments of one SLOWLOG entry, counting the ones Redis elides past 32. */
function argCount(args: string[]): number {
  const m = /^\.\.\. \((\d+) more arguments\)$/.exec(args[args.length - 1]!);
  return m ? args.length - 1 + Number(m[1]) : args.length;
}

/** TICK:UPD with scores around the bucket, some LAST, SEEN and live claims of others. */
async function load(redis: RedisClient, keys: RedisKeys, id: number) {
  const rand = seededRandom(23);
  const z: (string | number)[] = [];
  const last: string[] = [];
  const seen: string[] = ['*', String(BUCKET - 5000)];
  const claims: string[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const t = `G${i.toString(36).toUpperCase()}`;
    z.push(BUCKET + Math.floor(rand() * 20_000) - 10_000, t);
    if (rand() < 0.2) last.push(t, String(BUCKET));
    if (rand() < 0.2) seen.push(t, String(BUCKET + 1000));
    if (rand() < 0.1) claims.push(t, `${BUCKET}:${FAR_FUTURE}:other`);
  }
  await redis.zadd(keys.tickUpd(), ...z);
  await redis.hset(keys.stratLast(id), ...last);
  await redis.hset(keys.stratSeen(id), ...seen);
  await redis.hset(keys.stratClaim(id), ...claims);
}

/** A plan as a comparable value: order-free, each ticker with its seenMs. */
const shape = (p: PlanResult) => ({
  due: p.tickers
    .map((t, i) => `${t}@${p.seenMs?.[i] ?? ''}`)
    .sort()
    .join(','),
  stats: p.stats,
});

describe('throttle planner: a global strategy in chunks (private Redis)', () => {
  let server: PrivateRedis;
  let redis: RedisClient;

  beforeAll(async () => {
    server = await startPrivateRedis();
    redis = testRedis(server.url);
    await redis.config('SET', 'slowlog-log-slower-than', '0');
    await redis.config('SET', 'slowlog-max-len', '10000');
  }, 60_000);
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  it.each([
    ['go', 'preview'],
    ['go', 'claim'],
    ['lossless', 'claim'],
  ] as const)(
    '%s %s: no script call gets more than globalChunk members, the answer is the unchunked one',
    async (throttle, mode) => {
      const chunkedKeys = createKeys(`chunked-${throttle}-${mode}:`);
      const wholeKeys = createKeys(`whole-${throttle}-${mode}:`);
      await load(redis, chunkedKeys, 1);
      await load(redis, wholeKeys, 1);
      const chunked = createThrottlePlanner(redis, chunkedKeys, {
        globalChunk: CHUNK,
      });
      const whole = createThrottlePlanner(redis, wholeKeys, {
        globalChunk: 1_000_000,
      });
      const opts: PlanOptions = { mode, throttle, claimId: 'me' };
      // Load the scripts first, so no NOSCRIPT retry shows in the log.
      await createThrottlePlanner(redis, createKeys('warm:'), {}).plan(
        { id: 1, global: true },
        BUCKET,
        opts,
      );
      const inScope = await redis.zcount(
        chunkedKeys.tickUpd(),
        throttle === 'lossless' ? BUCKET - 5000 : BUCKET,
        '+inf',
      );

      await redis.slowlog('RESET');
      const a = await chunked.plan({ id: 1, global: true }, BUCKET, opts);
      const chunkedCalls = await scriptCalls(redis);
      await redis.slowlog('RESET');
      const b = await whole.plan({ id: 1, global: true }, BUCKET, opts);
      const wholeCalls = await scriptCalls(redis);

      expect(shape(a)).toEqual(shape(b));
      expect(a.tickers.length).toBeGreaterThan(CHUNK);
      // EVALSHA sha numkeys, 4 keys, 7 fixed arguments, then (member, score) pairs.
      const bound = 3 + 4 + 7 + 2 * CHUNK;
      expect(chunkedCalls).toHaveLength(Math.floor(inScope / CHUNK) + 1);
      for (const n of chunkedCalls) expect(n).toBeLessThanOrEqual(bound);
      // The same check fails unchunked: one call with every member.
      expect(wholeCalls).toEqual([3 + 4 + 7 + 2 * inScope]);
      // What a claim leaves behind is the same too.
      for (const key of [
        (k: RedisKeys) => k.stratClaim(1),
        (k: RedisKeys) => k.stratSeen(1),
      ]) {
        const [x, y] = await Promise.all([
          redis.hgetall(key(chunkedKeys)),
          redis.hgetall(key(wholeKeys)),
        ]);
        const norm = (h: Record<string, string>) =>
          Object.entries(h)
            .map(([f, v]) => `${f}=${v.replace(/:\d+:/, ':T:')}`)
            .sort();
        expect(norm(x)).toEqual(norm(y));
      }
      if (mode === 'claim' && throttle === 'lossless')
        expect(await redis.hget(chunkedKeys.stratSeen(1), '*')).toBe(
          await redis.hget(wholeKeys.stratSeen(1), '*'),
        );
      await redis.flushall();
    },
  );

  it('refuses a chunk size that is not a positive integer', () => {
    const keys = createKeys('bad:');
    for (const globalChunk of [0, -1, 1.5, Number.NaN])
      expect(() => createThrottlePlanner(redis, keys, { globalChunk })).toThrow(
        /globalChunk must be a positive integer/,
      );
  });
});

/** Argument counts of the script calls in SLOWLOG (every command is logged). */
async function scriptCalls(redis: RedisClient): Promise<number[]> {
  const log = (await redis.slowlog('GET', '-1')) as [
    number,
    number,
    number,
    string[],
  ][];
  return log
    .filter(e => /^eval(sha)?$/i.test(e[3][0]!))
    .map(e => argCount(e[3]));
}
