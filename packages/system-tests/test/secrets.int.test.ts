/**
 * Issue 18 item 3, with the real app processes (`node apps/<app>/dist/main.js`):
 * wrong, rotated and query-string secrets for Redis, PostgreSQL and Polygon
 * must never appear in anything a process writes (stdout and stderr).
 *
 * Redis is a private redis-server with `--requirepass`; PostgreSQL is the
 * shared server, which trusts every password, so its failures come from a
 * role that does not exist (the password is still sent along and logged
 * wherever the URL is). Each test also waits for evidence that the failure
 * path actually ran (the server's rejection in the log, or the fatal exit),
 * so a process that never tried cannot pass.
 */
import { randomBytes } from 'node:crypto';
import { createPolygonSim, type PolygonSim } from '@tickpulse/polygon-sim';
import {
  startPrivateRedis,
  testRedis,
  uniqueName,
  uniquePrefix,
  waitFor,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { createSystem, type AppProcess, type System } from '../src/harness';

jest.setTimeout(240_000);

const secret = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;
const pgUrl = (userinfo: string) =>
  `postgres://${userinfo}@127.0.0.1:5432/postgres`;
const NO_ROLE = 'tp_no_such_role';

describe('secrets never reach a log line (real processes)', () => {
  const redisPassword = secret('redis-right');
  const polygonKey = secret('polygon-right');
  let redisSrv: PrivateRedis;
  let sim: PolygonSim;
  let system: System;

  const redisUrl = (password: string) =>
    `redis://:${password}@127.0.0.1:${redisSrv.port}`;

  /** Everything the processes wrote, for the grep. */
  const output = (procs: AppProcess[]) =>
    procs.map(p => p.raw.join('')).join('\n');

  const sawInOutput = (p: AppProcess, text: RegExp) => () =>
    text.test(p.raw.join(''));

  beforeAll(async () => {
    redisSrv = await startPrivateRedis(['--requirepass', redisPassword]);
    sim = createPolygonSim({ apiKeys: [polygonKey], rate: 20 });
    await sim.listen(0);
    system = createSystem({
      REDIS_KEY_PREFIX: uniquePrefix('secrets'),
      BULLMQ_PREFIX: uniqueName('secrets'),
      ALLOW_UNAUTHENTICATED: 'true',
      RECONCILE_ON_START: 'false',
      RECONNECT_MIN_MS: '50',
      RECONNECT_MAX_MS: '200',
    });
  });

  afterEach(async () => {
    await system.killAll();
  });

  afterAll(async () => {
    await system?.killAll();
    await sim?.close();
    await redisSrv?.stop();
  });

  it('wrong secrets at start-up: Redis and PostgreSQL in userinfo and ?password=, Polygon in the auth frame and ?apiKey=', async () => {
    const wrong = {
      redisUserinfo: secret('redis-wrong'),
      redisQuery: secret('redis-query'),
      pgUserinfo: secret('pg-wrong'),
      pgQuery: secret('pg-query'),
      polygonKey: secret('polygon-wrong'),
      polygonQuery: secret('polygon-query'),
    };
    const right = redisUrl(redisPassword);
    const procs = await Promise.all([
      system.add('writer', 'tick-writer', {
        REDIS_URL: redisUrl(wrong.redisUserinfo),
      }),
      system.add('ingest-redis', 'ingest', {
        REDIS_URL: `redis://127.0.0.1:${redisSrv.port}/?password=${wrong.redisQuery}`,
        POLYGON_API_KEY: polygonKey,
        POLYGON_WS_URL: sim.url(),
      }),
      system.add('universe', 'universe-sync', {
        REDIS_URL: right,
        RECONCILE_ON_START: 'true',
        DATABASE_URL: `${pgUrl(NO_ROLE)}?password=${wrong.pgQuery}`,
      }),
      system.add('shadow', 'throttle-shadow', {
        REDIS_URL: right,
        THROTTLE_SHADOW_ENABLED: 'true',
        SHADOW_INTERVAL: '500ms',
        DATABASE_URL: pgUrl(`${NO_ROLE}:${wrong.pgUserinfo}`),
      }),
      system.add('ingest-polygon', 'ingest', {
        REDIS_URL: right,
        POLYGON_API_KEY: wrong.polygonKey,
        POLYGON_WS_URL: `${sim.url()}?apiKey=${wrong.polygonQuery}`,
      }),
    ]);
    const [writer, ingestRedis, universe, shadow, ingestPolygon] = procs as [
      AppProcess,
      AppProcess,
      AppProcess,
      AppProcess,
      AppProcess,
    ];
    await Promise.all(procs.map(p => p.start({ waitReady: false })));

    const rejected = /WRONGPASS|NOAUTH/;
    const noRole = new RegExp(`role \\\\?"${NO_ROLE}\\\\?" does not exist`);
    await waitFor(sawInOutput(writer, rejected), { what: 'writer rejected' });
    await waitFor(sawInOutput(ingestRedis, rejected), {
      what: 'ingest rejected by Redis',
    });
    await waitFor(sawInOutput(universe, noRole), {
      timeoutMs: 30_000,
      what: 'universe-sync rejected by PostgreSQL',
    });
    await waitFor(sawInOutput(universe, /universe-sync listening/), {
      timeoutMs: 30_000,
      what: 'universe-sync logged its database URL',
    });
    await waitFor(sawInOutput(shadow, noRole), {
      timeoutMs: 30_000,
      what: 'throttle-shadow rejected by PostgreSQL',
    });
    await waitFor(() => !ingestPolygon.running(), {
      timeoutMs: 30_000,
      what: 'ingest exits on auth_failed',
    });
    expect(output([ingestPolygon])).toMatch(
      /auth_failed|authentication failed/,
    );
    expect(output([ingestPolygon])).toMatch(/apiKey=redacted/);

    const text = output(procs);
    for (const [name, value] of Object.entries(wrong))
      expect({ name, leaked: text.includes(value) }).toEqual({
        name,
        leaked: false,
      });
    expect(text).not.toContain(redisPassword);
    expect(text).not.toContain(polygonKey);
  });

  it('a Redis password rotated on the server while every app is connected', async () => {
    const env = { REDIS_URL: redisUrl(redisPassword) };
    const procs = await Promise.all([
      system.add('writer-rot', 'tick-writer', env),
      system.add('ingest-rot', 'ingest', {
        ...env,
        POLYGON_API_KEY: polygonKey,
        POLYGON_WS_URL: sim.url(),
      }),
      system.add('universe-rot', 'universe-sync', {
        ...env,
        DATABASE_URL: pgUrl('postgres'),
      }),
      system.add('shadow-rot', 'throttle-shadow', env),
    ]);
    await Promise.all(procs.map(p => p.start()));

    const rotated = secret('redis-rotated');
    const admin = testRedis(redisUrl(redisPassword));
    try {
      await admin.config('SET', 'requirepass', rotated);
      // Connections stay authenticated after CONFIG SET; drop them so every
      // client has to AUTH again with the password it still holds.
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      for (const p of procs)
        await waitFor(sawInOutput(p, /WRONGPASS/), {
          timeoutMs: 30_000,
          what: `${p.name} rejected after the rotation`,
        });
      // A few more reconnect rounds: the issue saw the old password on 29 lines in 6 s.
      await new Promise(r => setTimeout(r, 3000));
      const text = output(procs);
      expect(text).not.toContain(redisPassword);
      expect(text).not.toContain(rotated);
    } finally {
      await admin.config('SET', 'requirepass', redisPassword);
      admin.disconnect();
    }
  });

  it('a Polygon key rotated while ingest is streaming', async () => {
    const ingest = await system.add('ingest-key', 'ingest', {
      REDIS_URL: redisUrl(redisPassword),
      POLYGON_API_KEY: polygonKey,
      POLYGON_WS_URL: sim.url(),
    });
    await ingest.start();
    const port = new URL(sim.url()).port;
    await sim.close();
    sim = createPolygonSim({ apiKeys: [secret('polygon-new')], rate: 20 });
    await sim.listen(Number(port));
    await waitFor(() => !ingest.running(), {
      timeoutMs: 60_000,
      what: 'ingest exits on auth_failed with the old key',
    });
    const text = output([ingest]);
    expect(text).toMatch(/auth_failed|authentication failed/);
    expect(text).not.toContain(polygonKey);
  });
});
