import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { waitForRedisPing } from './redis-probe.js';
import { waitFor } from './wait.js';

/**
 * Real multi-process Redis topologies for integration tests: a Redis
 * Cluster of masters and a Sentinel set (master, replica, three sentinels),
 * each on free loopback ports in a temporary directory. Start one per test
 * file (`beforeAll`), stop it in `afterAll`: `stop()` SIGKILLs every process
 * and removes the directories; a process left behind by a crashed run is
 * killed when the test process exits.
 */

const bin = () => process.env.REDIS_SERVER_BIN ?? 'redis-server';
const cliBin = () => process.env.REDIS_CLI_BIN ?? 'redis-cli';

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(proc: ChildProcess): ChildProcess {
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const p of running) p.kill('SIGKILL');
    });
  }
  return proc;
}

async function killProc(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>(resolve => {
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port whose cluster bus port (port + 10000) is free too; ports
 * handed out in this process are never reused.
 */
const handedOut = new Set<number>();
async function freeBusPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (handedOut.has(port)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port pair (port, port + 10000) found');
}

function serverArgs(port: number, dir: string): string[] {
  return [
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
  ];
}

/** A one-connection admin client that never reconnects nor throws unhandled errors. */
function admin(port: number): Redis {
  const r = new Redis(port, '127.0.0.1', {
    protocol: 2,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  return r;
}

const waitForPing = (port: number, what: string) =>
  waitForRedisPing(`redis://127.0.0.1:${port}`, { timeoutMs: 15_000, what });

/** A `host:port` of a test server. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** A running Redis Cluster (all slots covered). */
export interface TestRedisCluster {
  /** Every node, masters first (replicas follow when started with some). */
  nodes: NodeAddress[];
  /** The variables that point an app at it (`REDIS_CLUSTER_NODES`). */
  env: Record<string, string>;
  /** A plain cluster client for assertions; closed by `stop()`. */
  client(): Cluster;
  /** The slot of a key as the cluster computes it (`CLUSTER KEYSLOT`). */
  keySlot(key: string): Promise<number>;
  /**
   * SIGKILLs the master that serves `key`'s slot and resolves once its
   * replica serves that slot and the cluster is `ok` again (needs
   * `replicas: 1`); returns both addresses. The old master stays down.
   */
  failover(key: string): Promise<{ from: NodeAddress; to: NodeAddress }>;
  stop(): Promise<void>;
}

/**
 * Starts `masters` (default 3) `redis-server --cluster-enabled yes`
 * processes, and `replicas` (0 or 1, default 0) replicas of each, and joins
 * them with `redis-cli --cluster create … --cluster-yes` (slots split
 * evenly); resolves once every node reports `cluster_state:ok` and every
 * replica is in sync.
 */
export async function startRedisCluster(
  opts: { masters?: number; replicas?: 0 | 1 } = {},
): Promise<TestRedisCluster> {
  const replicas = opts.replicas ?? 0;
  const count = (opts.masters ?? 3) * (1 + replicas);
  const dir = mkdtempSync(join(tmpdir(), 'tp-cluster-'));
  const procs = new Map<number, ChildProcess>();
  const clients: Cluster[] = [];
  const nodes: NodeAddress[] = [];
  const stop = async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([...procs.values()].map(killProc));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freeBusPort();
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      procs.set(
        port,
        track(
          spawn(
            bin(),
            [
              ...serverArgs(port, nodeDir),
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              join(nodeDir, 'nodes.conf'),
              '--cluster-node-timeout',
              '2000',
            ],
            { stdio: 'ignore' },
          ),
        ),
      );
      nodes.push({ host: '127.0.0.1', port });
    }
    for (const n of nodes) await waitForPing(n.port, `cluster node ${n.port}`);
    const created = spawnSync(
      cliBin(),
      [
        '--cluster',
        'create',
        ...nodes.map(n => `${n.host}:${n.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (created.status !== 0)
      throw new Error(
        `redis-cli --cluster create failed: ${created.stderr || created.stdout}`,
      );
    for (const n of nodes) {
      const r = admin(n.port);
      try {
        await waitFor(
          async () =>
            /cluster_state:ok/.test(await r.cluster('INFO')) &&
            !/role:slave[\s\S]*master_link_status:down/.test(
              await r.info('replication'),
            ),
          { timeoutMs: 30_000, what: `cluster_state:ok on ${n.port}` },
        );
      } finally {
        r.disconnect();
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const keySlot = async (key: string) => {
    const r = admin(nodes[0]!.port);
    try {
      return Number(await r.cluster('KEYSLOT', key));
    } finally {
      r.disconnect();
    }
  };
  const env = {
    REDIS_CLUSTER_NODES: nodes.map(n => `${n.host}:${n.port}`).join(','),
  };
  return {
    nodes,
    env,
    client() {
      const c = new Cluster(nodes, { redisOptions: { protocol: 2 } });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    keySlot,
    async failover(key) {
      const slot = await keySlot(key);
      const owner = async (port: number) => {
        const r = admin(port);
        try {
          const ranges = await r.cluster('SLOTS');
          const hit = ranges.find(([lo, hi]) => slot >= lo && slot <= hi);
          return hit?.[2]?.[1];
        } finally {
          r.disconnect();
        }
      };
      const from = await owner(nodes[0]!.port);
      if (from === undefined) throw new Error(`no owner of slot ${slot}`);
      await killProc(procs.get(from));
      const survivor = nodes.find(n => n.port !== from)!;
      const to = await waitFor(
        async () => {
          const o = await owner(survivor.port);
          return o !== undefined && o !== from ? o : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: `promotion for ${slot}` },
      );
      for (const n of nodes.filter(x => x.port !== from)) {
        const r = admin(n.port);
        try {
          await waitFor(
            async () => /cluster_state:ok/.test(await r.cluster('INFO')),
            { timeoutMs: 30_000, what: `cluster_state:ok on ${n.port}` },
          );
        } finally {
          r.disconnect();
        }
      }
      return {
        from: { host: '127.0.0.1', port: from },
        to: { host: '127.0.0.1', port: to },
      };
    },
    stop,
  };
}

/** A master, one replica and three sentinels monitoring them. */
export interface TestRedisSentinel {
  /** The monitored master's name. */
  name: string;
  sentinels: NodeAddress[];
  /** Where the master is now (changes after `failover`). */
  master(): NodeAddress;
  /** The variables that point an app at it (`REDIS_SENTINELS`, `REDIS_SENTINEL_NAME`). */
  env: Record<string, string>;
  /** A plain client of the current master, through the sentinels; closed by `stop()`. */
  client(): Redis;
  /**
   * SIGKILLs the current master and resolves once every sentinel names the
   * replica as master and the replica says it is one; returns both
   * addresses. The old master stays down.
   */
  failover(): Promise<{ from: NodeAddress; to: NodeAddress }>;
  /**
   * SIGSTOPs (`pause`) or SIGCONTs (`resume`) sentinel `index`: its
   * connections stay open and nothing answers until it is resumed.
   */
  sentinelSignal(index: number, action: 'pause' | 'resume'): void;
  stop(): Promise<void>;
}

/**
 * Starts a master, a replica of it and three `redis-server --sentinel`
 * processes (quorum 2, `down-after-milliseconds` 1000, so a failover takes a
 * few seconds); resolves once the replica is in sync and the sentinels know
 * the replica and each other.
 */
export async function startRedisSentinel(
  opts: { name?: string } = {},
): Promise<TestRedisSentinel> {
  const name = opts.name ?? 'tpmaster';
  const dir = mkdtempSync(join(tmpdir(), 'tp-sentinel-'));
  const data = new Map<number, ChildProcess>();
  const sentinelProcs: ChildProcess[] = [];
  const clients: Redis[] = [];
  const stop = async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([...sentinelProcs, ...data.values()].map(killProc));
    rmSync(dir, { recursive: true, force: true });
  };
  const startData = async (port: number, extra: string[]) => {
    const d = join(dir, `data-${port}`);
    mkdirSync(d);
    data.set(
      port,
      track(
        spawn(bin(), [...serverArgs(port, d), ...extra], { stdio: 'ignore' }),
      ),
    );
    await waitForPing(port, `redis-server on ${port}`);
  };
  let masterPort = 0;
  let replicaPort = 0;
  const sentinels: NodeAddress[] = [];
  try {
    masterPort = await freeBusPort();
    replicaPort = await freeBusPort();
    await startData(masterPort, []);
    await startData(replicaPort, [
      '--replicaof',
      '127.0.0.1',
      String(masterPort),
    ]);
    const replica = admin(replicaPort);
    try {
      await waitFor(
        async () =>
          /master_link_status:up/.test(await replica.info('replication')),
        { timeoutMs: 15_000, what: 'replica in sync' },
      );
    } finally {
      replica.disconnect();
    }
    for (let i = 0; i < 3; i++) {
      const port = await freeBusPort();
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      sentinelProcs.push(
        track(spawn(bin(), [conf, '--sentinel'], { stdio: 'ignore' })),
      );
      sentinels.push({ host: '127.0.0.1', port });
    }
    for (const s of sentinels) {
      await waitForPing(s.port, `sentinel on ${s.port}`);
      const r = admin(s.port);
      try {
        await waitFor(
          async () => {
            const m = toRecord(
              (await r.call('SENTINEL', 'MASTER', name)) as string[],
            );
            return m['num-other-sentinels'] === '2' && m['num-slaves'] === '1';
          },
          { timeoutMs: 30_000, what: `sentinel ${s.port} sees the set` },
        );
      } finally {
        r.disconnect();
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  let current = masterPort;
  const addr = (port: number): NodeAddress => ({ host: '127.0.0.1', port });
  return {
    name,
    sentinels,
    master: () => addr(current),
    env: {
      REDIS_SENTINELS: sentinels.map(s => `${s.host}:${s.port}`).join(','),
      REDIS_SENTINEL_NAME: name,
    },
    client() {
      const c = new Redis({ sentinels, name, protocol: 2 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async failover() {
      const from = current;
      const to = from === masterPort ? replicaPort : masterPort;
      await killProc(data.get(from));
      for (const s of sentinels) {
        const r = admin(s.port);
        try {
          await waitFor(
            async () => {
              const a = (await r.call(
                'SENTINEL',
                'GET-MASTER-ADDR-BY-NAME',
                name,
              )) as string[];
              return a[1] === String(to);
            },
            { timeoutMs: 60_000, intervalMs: 200, what: `promotion of ${to}` },
          );
        } finally {
          r.disconnect();
        }
      }
      const promoted = admin(to);
      try {
        await waitFor(
          async () => ((await promoted.role()) as unknown[])[0] === 'master',
          { timeoutMs: 30_000, what: `${to} acting as master` },
        );
      } finally {
        promoted.disconnect();
      }
      current = to;
      return { from: addr(from), to: addr(to) };
    },
    sentinelSignal(index, action) {
      const proc = sentinelProcs[index];
      if (!proc) throw new Error(`no sentinel ${index}`);
      proc.kill(action === 'pause' ? 'SIGSTOP' : 'SIGCONT');
    },
    stop,
  };
}

function toRecord(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}
