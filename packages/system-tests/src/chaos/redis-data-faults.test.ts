import type { AppProcess } from '../harness';
import type { FaultContext } from './fault';
import { SECRET_FAULTS } from './redis-data-faults';

describe('redis-wrong-password', () => {
  it("starts the extra ingest processes with ingest-a's environment, only REDIS_URL differing", async () => {
    const ingestEnv = {
      REDIS_URL: 'redis://:right@127.0.0.1:6390',
      POLYGON_WS_URL: 'ws://127.0.0.1:4567/stocks',
      POLYGON_API_KEY: 'key',
      LEASE_POLL_MS: '250',
    };
    // Just enough of a process for the fault: it "logs" WRONGPASS at once.
    const added: {
      env: Record<string, string>;
      firstUrl: string;
      restarted: string[];
    }[] = [];
    const add = async (
      name: string,
      _app: string,
      env: Record<string, string>,
    ) => {
      const rec = {
        env: { ...env },
        firstUrl: env.REDIS_URL!,
        restarted: [] as string[],
      };
      added.push(rec);
      return {
        name,
        raw: ['WRONGPASS invalid username-password pair'],
        env: rec.env,
        start: async () => {},
        restart: async () => {
          rec.restarted.push(rec.env.REDIS_URL!);
        },
      } as unknown as AppProcess;
    };
    const ctx = {
      stack: {
        redisServer: { port: 6390, url: ingestEnv.REDIS_URL },
        apps: { ingestA: { env: ingestEnv } },
        system: { add },
      },
    } as unknown as FaultContext;
    const fault = SECRET_FAULTS.find(f => f.name === 'redis-wrong-password')!;

    await fault.inject(ctx, []);

    expect(added).toHaveLength(2);
    const { REDIS_URL: _, ...expected } = ingestEnv;
    for (const { env, firstUrl, restarted } of added) {
      const { REDIS_URL: __, ...rest } = env;
      expect(rest).toEqual(expected);
      expect(firstUrl).not.toBe(ingestEnv.REDIS_URL);
      expect(restarted).toEqual([ingestEnv.REDIS_URL]);
    }
  });
});
