import type { Redis } from 'ioredis';
import { deletePrefix, testRedis, uniquePrefix } from '@tickpulse/testkit';
import { createKeys } from '@tickpulse/contracts';
import type { CommandDeps } from '../src/commands';
import { FUTURE_TICKS_PAGE, futureTicksCommand } from '../src/future-ticks';

describe('tickpulse future-ticks against real Redis', () => {
  const NOW = 1_790_000_000_000;
  const YEAR_2099 = 4_102_000_000_000;
  // More than two pages, so the paging is exercised.
  const FUTURE = FUTURE_TICKS_PAGE * 2 + 3;
  let redis: Redis;
  let deps: CommandDeps;
  let lines: string[];
  let prefix: string;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(async () => {
    prefix = uniquePrefix('cli-fut');
    lines = [];
    deps = {
      redis,
      keys: createKeys(prefix),
      bullPrefix: 'unused',
      print: l => void lines.push(l),
    };
    const args: (string | number)[] = [];
    for (let i = 0; i < FUTURE; i++) args.push(YEAR_2099 + i, `F${i}`);
    // Within the 10 s bound: left alone by every mode.
    args.push(NOW - 5000, 'AAPL', NOW + 9000, 'SKEW');
    await redis.zadd(deps.keys.tickUpd(), ...args);
  });
  afterEach(async () => {
    await deletePrefix(redis, prefix);
  });
  afterAll(() => redis.quit());

  const scores = async () => {
    const flat = await redis.zrange(
      deps.keys.tickUpd(),
      '0',
      '-1',
      'WITHSCORES',
    );
    const out = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2)
      out.set(flat[i]!, Number(flat[i + 1]));
    return out;
  };

  it('lists every future member page by page and changes nothing', async () => {
    expect(await futureTicksCommand(deps, 'list', () => NOW)).toBe(1);
    expect(lines.filter(l => l.startsWith('F'))).toHaveLength(FUTURE);
    expect(lines.at(-1)).toMatch(`${FUTURE} member(s) more than 10 s`);
    expect((await scores()).get('F0')).toBe(YEAR_2099);
  });

  it('--clamp sets every future member to now, and a later trade moves it again', async () => {
    expect(await futureTicksCommand(deps, 'clamp', () => NOW)).toBe(0);
    expect(lines.at(-1)).toBe(`TICK:UPD: ${FUTURE} member(s) clamped to now`);
    const s = await scores();
    expect(s.size).toBe(FUTURE + 2);
    for (let i = 0; i < FUTURE; i++) expect(s.get(`F${i}`)).toBe(NOW);
    expect(s.get('AAPL')).toBe(NOW - 5000);
    expect(s.get('SKEW')).toBe(NOW + 9000);
    // Unfrozen: the writer's ZADD GT takes the next real trade.
    await redis.zadd(deps.keys.tickUpd(), 'GT', NOW + 1, 'F0');
    expect(await redis.zscore(deps.keys.tickUpd(), 'F0')).toBe(String(NOW + 1));
    lines = [];
    expect(await futureTicksCommand(deps, 'list', () => NOW)).toBe(0);
    expect(lines).toEqual(['TICK:UPD: no member in the future']);
  });

  it('--remove deletes only the future members', async () => {
    expect(await futureTicksCommand(deps, 'remove', () => NOW)).toBe(0);
    expect([...(await scores()).keys()].sort()).toEqual(['AAPL', 'SKEW']);
  });
});
