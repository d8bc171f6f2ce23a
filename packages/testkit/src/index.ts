import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { TEST_REDIS_URL } from './env.js';
import { waitForRedisPing } from './redis-probe.js';

export { TEST_DATABASE_URL, TEST_REDIS_URL } from './env.js';
export * from './metrics.js';
export * from './pg-schema.js';
export * from './node-warning.js';
export * from './tcp-proxy.js';
export { waitFor } from './wait.js';

/** A unique key prefix (hash-tagged, as on Redis Cluster) for one test. */
export function uniquePrefix(label = 'test'): string {
  return `{${label}-${randomUUID().slice(0, 8)}}:`;
}

/** A unique BullMQ prefix / queue namespace for one test. */
export function uniqueName(label = 'test'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** A plain client for assertions and cleanup. */
export function testRedis(url = TEST_REDIS_URL): Redis {
  return new Redis(url, { protocol: 2, maxRetriesPerRequest: 1 });
}

/**
 * Calls `page` with each page of keys matching `pattern` (SCAN, never KEYS);
 * on a cluster it scans every master and hands over the node it read from.
 */
export async function scanKeys<R extends Redis | Cluster>(
  redis: R,
  pattern: string,
  page: (keys: string[], node: Redis) => Promise<void>,
): Promise<void> {
  const nodes =
    redis instanceof Cluster ? redis.nodes('master') : [redis as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length > 0) await page(keys, node);
    } while (cursor !== '0');
  }
}

/**
 * Deletes every key under a prefix (SCAN + UNLINK); on a cluster on every
 * master, one key per UNLINK (the keys sit in different slots).
 */
export async function deletePrefix(
  redis: Redis | Cluster,
  prefix: string,
): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, c => `\\${c}`)}*`;
  const cluster = redis instanceof Cluster;
  let removed = 0;
  await scanKeys(redis, pattern, async (keys, node) => {
    if (!cluster) removed += await node.unlink(...keys);
    else
      for (const k of await Promise.all(keys.map(key => node.unlink(key))))
        removed += k;
  });
  return removed;
}

/**
 * The exact Redis bytes of every key matching `pattern`: `MEMORY USAGE key
 * SAMPLES 0` (every element, so O(N): for tests and benchmarks only) summed.
 */
export async function exactMemoryUsage(
  redis: Redis,
  pattern: string,
): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  await scanKeys(redis, pattern, async found => {
    const p = redis.pipeline();
    for (const k of found) p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    for (const [err, n] of (await p.exec()) ?? []) {
      if (err) throw err;
      // A key removed between SCAN and MEMORY USAGE answers null.
      if (typeof n === 'number') {
        keys++;
        bytes += n;
      }
    }
  });
  return { keys, bytes };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A private redis-server on its own port and directory, for tests that stop
 * or restart Redis without disturbing anything else on the machine.
 */
export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILLs the server (no save) and starts it again on the same port. */
  restart(opts?: { downMs?: number }): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * SIGSTOPs the server: connections stay open and nothing answers — the
   * outage in which a client without its own deadline waits forever.
   */
  pause(): void;
  /** SIGCONTs a paused server. */
  resume(): void;
}

/**
 * Starts a private redis-server (`REDIS_SERVER_BIN`, default `redis-server` on PATH).
 * With `--requirepass <pw>` among `extraArgs`, `url` carries the password.
 */
export async function startPrivateRedis(
  extraArgs: string[] = [],
): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tp-redis-'));
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  let proc: ChildProcess | undefined;
  // A server started with `--requirepass` gets the password in its URL (and in the probe).
  const passIdx = extraArgs.indexOf('--requirepass');
  const password = passIdx >= 0 ? extraArgs[passIdx + 1] : undefined;
  const url = password
    ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`
    : `redis://127.0.0.1:${port}`;

  const start = async () => {
    proc = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--maxmemory-policy',
        'noeviction',
        ...extraArgs,
      ],
      { stdio: 'ignore' },
    );
    await waitForRedisPing(url, {
      timeoutMs: 10_000,
      what: `redis-server on ${port}`,
    });
  };

  const kill = async () => {
    const p = proc;
    // A signalled process keeps exitCode null: check both, or a second kill waits forever.
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>(resolve => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  };

  await start();
  return {
    url,
    port,
    start,
    kill,
    async restart(opts = {}) {
      await kill();
      if (opts.downMs) await new Promise(r => setTimeout(r, opts.downMs));
      await start();
    },
    async stop() {
      proc?.kill('SIGCONT');
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    pause() {
      proc?.kill('SIGSTOP');
    },
    resume() {
      proc?.kill('SIGCONT');
    },
  };
}

/** The seeded PRNG of every randomized test: a failing case reproduces from its seed. */
export { seededRandom } from '@tickpulse/random';

export * from './topologies.js';
export * from './compare-fixture.js';
/**
 * Wraps a client so that `action` runs right after the `n`-th reply of one
 * command (e.g. kill the server after the first page of a scan): a fault at
 * an exact point of a multi-call operation, without hooks in the code under test.
 */
export function afterNthCall<C extends 'zscan' | 'sscan' | 'scan'>(
  redis: Redis,
  command: C,
  n: number,
  action: () => Promise<void>,
): { client: Redis; calls: () => number } {
  let calls = 0;
  const client = new Proxy(redis, {
    get(target, prop, receiver) {
      if (prop === command) {
        return async (...args: unknown[]) => {
          const res = await (
            target[command] as (...a: unknown[]) => Promise<unknown>
          ).apply(target, args);
          if (++calls === n) await action();
          return res;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function'
        ? (v as (...a: unknown[]) => unknown).bind(target)
        : v;
    },
  });
  return { client, calls: () => calls };
}
