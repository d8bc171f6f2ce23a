import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { createKeys, QUEUE_NAMES } from '@tickpulse/contracts';
import {
  createRedis,
  describeRedisTarget,
  type RedisClient,
} from '@tickpulse/redis';
import {
  createLogger,
  EXIT_CONFIG,
  redactUrl,
  redisTarget,
  redisTargetEnv,
  sleep,
} from '@tickpulse/service-kit';
import type { CliConfig } from './config.js';
import {
  appScript,
  busyPorts,
  startApps,
  type AppSpec,
} from './local-system.js';
import { preflight } from './preflight.js';
import { createSnapshotter } from './snapshot.js';
import { formatStatusLine } from './status-line.js';

/** The repository root (this file runs from packages/cli/dist). */
const ROOT = resolve(__dirname, '..', '..', '..');

/** The demo strategies (also loaded by docker-compose's PostgreSQL). */
const DEMO_SQL = join(ROOT, 'deploy', 'postgres', 'init', '01-strategies.sql');

/** Longer than every app's 20 s shutdown deadline. */
const STOP_GRACE_MS = 25_000;

/** How long a stop waits for tick-writer to take ingest's last batches. */
const TICKS_DRAIN_MS = 10_000;

/** The local system: which apps run, on which ports, with which settings. */
export function localSystem(config: CliConfig, apiToken: string): AppSpec[] {
  const useSim = !config.POLYGON_API_KEY;
  const port = (offset: number) => config.UP_PORT_BASE + offset;
  const common = {
    ...redisTargetEnv(redisTarget(config)),
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    BULLMQ_PREFIX: config.BULLMQ_PREFIX,
    LOG_LEVEL: config.LOG_LEVEL,
  };
  const specs: AppSpec[] = [];
  if (useSim) {
    specs.push({
      name: 'polygon-sim',
      script: appScript(ROOT, 'polygon-sim'),
      port: port(0),
      env: { ...common },
      // ingest dials it at start-up; dialling a port nobody listens on yet
      // is a connection error in ingest's log on every normal start.
      healthyBeforeNext: true,
    });
  }
  specs.push(
    {
      name: 'ingest',
      script: appScript(ROOT, 'ingest'),
      port: port(1),
      stopFirst: true,
      env: useSim
        ? { ...common, POLYGON_WS_URL: `ws://127.0.0.1:${port(0)}/stocks` }
        : { ...common, POLYGON_API_KEY: config.POLYGON_API_KEY ?? '' },
    },
    {
      name: 'tick-writer',
      script: appScript(ROOT, 'tick-writer'),
      port: port(2),
      env: { ...common },
    },
    {
      name: 'universe-sync',
      script: appScript(ROOT, 'universe-sync'),
      port: port(3),
      env: {
        ...common,
        DATABASE_URL: config.DATABASE_URL,
        API_TOKEN: apiToken,
        LISTEN_NOTIFY: 'true',
      },
    },
    {
      name: 'throttle-shadow',
      script: appScript(ROOT, 'throttle-shadow'),
      port: port(4),
      env: {
        ...common,
        DATABASE_URL: config.DATABASE_URL,
        API_TOKEN: apiToken,
        THROTTLE_SHADOW_ENABLED: 'true',
        PLANNER_API_ENABLED: 'true',
      },
    },
  );
  return specs;
}

/**
 * Creates the demo `strategies` table with a few strategies (the same SQL
 * docker-compose loads; idempotent), then installs universe-sync's change
 * trigger with its own migration command.
 */
async function prepareDatabase(
  config: CliConfig,
  print: (l: string) => void,
): Promise<boolean> {
  const client = new Client({ connectionString: config.DATABASE_URL });
  try {
    await client.connect();
    await client.query(readFileSync(DEMO_SQL, 'utf8'));
  } catch (err) {
    print(`could not create the demo strategies: ${(err as Error).message}`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
  const migrate = join(ROOT, 'apps', 'universe-sync', 'dist', 'migrate.js');
  const r = spawnSync(process.execPath, [migrate], {
    env: {
      ...process.env,
      DATABASE_URL: config.DATABASE_URL,
      LOG_LEVEL: 'warn',
    },
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    print(
      `could not install the strategies trigger: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`,
    );
    return false;
  }
  return true;
}

/** `tickpulse up`: runs the whole system with a live status line until Ctrl-C. */
export async function upCommand(
  config: CliConfig,
  print: (l: string) => void,
): Promise<number> {
  const apiToken =
    process.env.API_TOKEN || randomBytes(24).toString('base64url');
  const specs = localSystem(config, apiToken);
  const missing = specs.filter(s => !existsSync(s.script)).map(s => s.name);
  if (missing.length > 0) {
    print(
      `not built: ${missing.join(', ')} — run \`npm run build\` first (\`npm start\` does).`,
    );
    return 1;
  }
  const busy = await busyPorts(specs);
  if (busy.length > 0) {
    const base = config.UP_PORT_BASE;
    print(
      `port ${busy.map(s => `${s.port} (${s.name})`).join(', ')} already in use: is tickpulse already running ` +
        `(\`npm start\` in another terminal)? Stop it, or set UP_PORT_BASE to run a second system on other ports ` +
        `(this one uses ${base}–${base + specs.length - 1}; e.g. UP_PORT_BASE=${base + 100}).`,
    );
    return 1;
  }
  const problems = await preflight(redisTarget(config), config.DATABASE_URL);
  if (problems.length > 0) {
    for (const p of problems) print(p);
    return 1;
  }
  if (!(await prepareDatabase(config, print))) return 1;

  const logDir = join(ROOT, '.tickpulse', 'logs');
  print(
    `tickpulse: feed ${config.POLYGON_API_KEY ? 'Polygon (real-time)' : 'polygon-sim (no POLYGON_API_KEY)'}, ` +
      `Redis ${describeRedisTarget(redisTarget(config))}, PostgreSQL ${redactUrl(config.DATABASE_URL)}`,
  );
  print(
    `universe-sync API http://127.0.0.1:${specs.find(s => s.name === 'universe-sync')!.port}/v1 (Authorization: Bearer ${apiToken}); logs in ${logDir}`,
  );

  let stopping = false;
  let failed = false;
  let reportFailure!: () => void;
  const failure = new Promise<void>(r => (reportFailure = r));
  const system = startApps({
    specs,
    logDir,
    baseEnv: process.env,
    echo: print,
    onExit: (app, code) => {
      if (stopping) return;
      failed = true;
      print(
        code === EXIT_CONFIG
          ? `${app} rejected its configuration (exit ${code}; the problems are listed above): stopping`
          : `${app} exited unexpectedly (code ${code}); see ${join(logDir, `${app}.log`)}`,
      );
      reportFailure();
    },
  });

  const redis = createRedis(redisTarget(config), {
    role: 'command',
    name: 'cli-status',
    logger: createLogger({ service: 'tickpulse', level: 'silent' }),
  });
  const snapshotter = createSnapshotter({
    redis,
    keys: createKeys(config.REDIS_KEY_PREFIX),
    bullPrefix: config.BULLMQ_PREFIX,
    apps: specs.map(s => ({ name: s.name, port: s.port })),
  });

  // Every signal is handled, not only the first: under `npm start` one
  // Ctrl-C arrives twice (from the terminal and forwarded by npm), and the
  // default action of the second would kill the launcher mid-stop. The stop
  // itself is bounded (STOP_GRACE_MS, then SIGKILL).
  let requestStop!: () => void;
  const stopped = new Promise<void>(r => (requestStop = r));
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    print('stopping…');
    requestStop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // An app that exits while the others start (a configuration error exits
  // 78 at once) stops the system now, not after the health deadline.
  const healthy = await Promise.race([
    system.healthy(30_000),
    failure.then(() => true),
    stopped.then(() => true),
  ]);
  if (!healthy) print('some apps did not answer /healthz within 30 s');
  let prev = failed || stopping ? undefined : await snapshotter.take();
  while (prev && !stopping && !failed) {
    await Promise.race([
      sleep(config.STATUS_INTERVAL_S * 1000),
      stopped,
      failure,
    ]);
    if (stopping || failed) break;
    const now = await snapshotter.take();
    print(
      `${new Date(now.atMs).toISOString().slice(11, 19)} ${formatStatusLine(prev, now)}`,
    );
    prev = now;
  }
  stopping = true;
  // ingest stops first and publishes its last batch on the way out; the
  // writers are stopped once tick-writer has taken it. After a failure the
  // rest stops at once.
  const codes = await system.stop(
    STOP_GRACE_MS,
    failed
      ? undefined
      : () => ticksDrained(redis, config.BULLMQ_PREFIX, TICKS_DRAIN_MS),
  );
  await snapshotter.close();
  redis.disconnect();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const unclean = Object.entries(codes).filter(([, code]) => code !== 0);
  print(
    `exit codes: ${Object.entries(codes)
      .map(([app, code]) => `${app} ${code ?? 'killed'}`)
      .join(', ')}`,
  );
  if (failed || unclean.length > 0) {
    print('stopped after a failure');
    return 1;
  }
  print('stopped cleanly');
  return 0;
}

/** Waits, at most `timeoutMs`, until no `ticks` job is waiting or active. */
async function ticksDrained(
  redis: RedisClient,
  bullPrefix: string,
  timeoutMs: number,
): Promise<void> {
  const q = new Queue(QUEUE_NAMES.ticks, {
    connection: redis,
    prefix: bullPrefix,
  });
  q.on('error', () => undefined);
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const c = await q.getJobCounts('wait', 'active');
      if ((c.wait ?? 0) + (c.active ?? 0) === 0) return;
      await sleep(100);
    }
  } catch {
    // Redis is gone: nothing can drain; stop the rest as usual.
  } finally {
    await q.close();
  }
}
