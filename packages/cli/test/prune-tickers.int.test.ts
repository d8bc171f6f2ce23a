import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { deletePrefix, testRedis, uniquePrefix } from '@tickpulse/testkit';
import { createKeys, type RedisKeys } from '@tickpulse/contracts';
import { PRUNE_PAGE, pruneTickersCommand } from '../src/prune-tickers';

describe('tickpulse prune-tickers (real Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let keys: RedisKeys;
  let out: string[];
  let err: string[];
  const dir = mkdtempSync(join(tmpdir(), 'tp-prune-'));
  const run = (...args: string[]) =>
    pruneTickersCommand(
      {
        redis,
        keys,
        bullPrefix: 'unused',
        print: l => out.push(l),
        printError: l => err.push(l),
      },
      args,
    );
  const members = async () =>
    (await redis.zrange(keys.tickUpd(), '0', '-1')).sort();

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(async () => {
    prefix = uniquePrefix('prune');
    keys = createKeys(prefix);
    out = [];
    err = [];
    // Listed symbols, and a flood of made-up ones (more than a page).
    const flood = Array.from({ length: 1200 }, (_, i) => `ZZ${i}`);
    await redis.zadd(
      keys.tickUpd(),
      ...['AAPL', 'MSFT', 'BRK.B', 'bad ticker', ...flood].flatMap(t => [1, t]),
    );
  });
  afterEach(() => deletePrefix(redis, prefix));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await redis.quit();
  });

  it('lists, then removes, the members that are not ticker symbols', async () => {
    expect(await run('--invalid')).toBe(1);
    expect(out).toEqual([
      '"bad ticker"',
      'TICK:UPD: 1 of 1204 members are not ticker symbols; remove them with --remove',
    ]);
    expect(await redis.zcard(keys.tickUpd())).toBe(1204);
    out = [];
    expect(await run('--invalid', '--remove')).toBe(0);
    expect(out.at(-1)).toBe(
      'TICK:UPD: removed 1 members that are not ticker symbols',
    );
    expect(await redis.zscore(keys.tickUpd(), 'bad ticker')).toBeNull();
  });

  it('removes what a keep list does not name, in pages, and refuses a list that would remove most', async () => {
    expect(PRUNE_PAGE).toBeLessThan(1200);
    const listed = join(dir, 'listed.txt');
    writeFileSync(
      listed,
      [
        'AAPL',
        'MSFT',
        'BRK.B',
        ...Array.from({ length: 1200 }, (_, i) => `ZZ${i}`),
      ]
        .filter(t => t !== 'ZZ7')
        .join('\n') + '\n',
    );
    expect(await run('--keep', listed, '--remove')).toBe(0);
    expect(await redis.zcard(keys.tickUpd())).toBe(1202);
    expect(await redis.zscore(keys.tickUpd(), 'ZZ7')).toBeNull();

    // A truncated list (3 symbols) would remove the flood and more: refused.
    const short = join(dir, 'short.txt');
    writeFileSync(short, 'AAPL\nMSFT\r\nBRK.B\n');
    expect(await run('--keep', short, '--remove')).toBe(2);
    expect(err.join('\n')).toMatch(/refusing to remove 1199 of 1202 members/);
    expect(await redis.zcard(keys.tickUpd())).toBe(1202);
    expect(await run('--keep', short, '--remove', '--force')).toBe(0);
    expect(await members()).toEqual(['AAPL', 'BRK.B', 'MSFT']);
  });

  it.each([
    [[], /--invalid or --keep/],
    [['--keep'], /unknown or repeated option "--keep"/],
    [['--invalid', '--force'], /--force only applies with --remove/],
    [['--keep', '/nonexistent/list.txt'], /cannot read the keep list/],
  ])('refuses %j (exit 2), touching nothing', async (args, message) => {
    expect(await run(...args)).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(await redis.zcard(keys.tickUpd())).toBe(1204);
  });
});
