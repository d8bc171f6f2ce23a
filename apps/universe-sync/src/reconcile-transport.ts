import type { Cluster, Redis } from 'ioredis';
import { type RedisKeys } from '@tickpulse/contracts';
import {
  isCluster,
  type RedisClient,
  queueEncodedSadd,
  waitForRedisReady,
  EncodedMembersScript,
  queueEncodedMembersScript,
} from '@tickpulse/redis';
import { type Logger } from '@tickpulse/service-kit';
import type { UniverseMetrics } from './metrics.js';
import type { ProbeItem, WriteSet } from './reconcile-plan.js';
import { VERIFY_SCRIPT } from './verify-script.js';

/** Races a promise against the loss of the batch's connection. */
export type Guard = <T>(p: Promise<T>) => Promise<T>;

/** What Redis holds for a batch, read in one go under its WATCH. */
export interface BatchRead {
  /** HMGET of the fingerprints hash, one entry per id. */
  stored: (string | null)[];
  /** SCARD of each universe key. */
  counts: number[];
}

/**
 * The Redis side of a reconcile batch on one connection. Standalone Redis
 * reads a batch in one pipeline and writes it in one MULTI/EXEC; on a cluster
 * the keys sit in different slots, so a batch is one strategy and the writes
 * that cannot share its universe key's EXEC follow it.
 */
export interface ReconcileTransport {
  /** A cluster: each strategy must be a batch of its own. */
  readonly oneStrategyPerBatch: boolean;
  /**
   * Runs a batch with `guard` failing its awaits when the connection closes.
   *
   * @param work the batch, given the guard
   * @returns what `work` returns
   */
  guarded<T>(work: (guard: Guard) => Promise<T>): Promise<T>;
  /** @param univKeys the batch's universe keys */
  watch(univKeys: readonly string[]): Promise<unknown>;
  /** @param univKeys the keys `watch` was given */
  unwatch(univKeys: readonly string[]): Promise<void>;
  /**
   * @param ids the batch
   * @param univKeys their universe keys, same order
   * @returns stored fingerprints and set sizes
   */
  read(ids: readonly number[], univKeys: readonly string[]): Promise<BatchRead>;
  /**
   * @param probes sets whose size matches their row
   * @returns per probe, whether the set holds exactly its tickers
   */
  sameMembers(probes: readonly ProbeItem[]): Promise<boolean[]>;
  /**
   * Writes a batch under the WATCH on `univKeys`.
   *
   * @returns false when a watched key changed (nothing was written)
   */
  commit(
    writes: WriteSet,
    univKeys: readonly string[],
    guard: Guard,
  ): Promise<boolean>;
  /** @returns a second connection for this run, or undefined when there is none to have */
  openLane(): Promise<Lane | undefined>;
}

/** A second connection a run works batches on, dropped when the run ends. */
export interface Lane {
  transport: ReconcileTransport;
  close(): void;
}

/** Dependencies of both transports. */
export interface TransportDeps {
  keys: RedisKeys;
  metrics: UniverseMetrics;
  logger: Logger;
}

/**
 * Picks the transport for the client's topology.
 *
 * @param conn a connection of the reconciler's own (WATCH state is per
 *   connection); a standalone one gets `autoResendUnfulfilledCommands` off
 * @returns the transport
 */
export function createReconcileTransport(
  conn: RedisClient,
  deps: TransportDeps,
): ReconcileTransport {
  return isCluster(conn)
    ? createClusterTransport(conn, deps)
    : createStandaloneTransport(conn, deps);
}

/**
 * With autoResendUnfulfilledCommands off, ioredis drops (never settles) the
 * commands in flight when the connection closes; the batch fails instead of
 * waiting forever. Its keys are left as they were or as a whole EXEC made
 * them, never half written.
 */
async function guardedOn<T>(
  watched: readonly {
    once: RedisClient['once'];
    off: RedisClient['off'];
  }[],
  work: (guard: Guard) => Promise<T>,
): Promise<T> {
  let onClose = () => undefined as void;
  const lost = new Promise<never>((_, reject) => {
    onClose = () =>
      reject(new Error('reconcile connection closed during a batch'));
    for (const c of watched) c.once('close', onClose);
  });
  lost.catch(() => undefined);
  try {
    return await work(p => Promise.race([p, lost]));
  } finally {
    for (const c of watched) c.off('close', onClose);
  }
}

function createStandaloneTransport(
  conn: Redis,
  deps: TransportDeps,
): ReconcileTransport {
  const { keys } = deps;
  // An EXEC resent on a new connection after a reconnect would run without
  // its WATCH.
  conn.options.autoResendUnfulfilledCommands = false;
  const fpKey = keys.univFingerprints();
  return {
    oneStrategyPerBatch: false,
    guarded: work => guardedOn([conn], work),
    watch: univKeys => conn.watch(...univKeys),
    unwatch: async () => {
      await conn.unwatch();
    },
    async read(ids, univKeys) {
      const reads = conn.pipeline();
      reads.hmget(fpKey, ...ids.map(String));
      for (const key of univKeys) reads.scard(key);
      const [stored, ...counts] = checked(await reads.exec()) as [
        (string | null)[],
        ...number[],
      ];
      return { stored, counts };
    },
    async sameMembers(probes) {
      const verify = conn.pipeline();
      for (const p of probes)
        queueEncodedMembersScript(
          verify,
          VERIFY_SCRIPT,
          keys.stratUniv(p.id),
          p.tickers,
        );
      return checked(await verify.exec()).map(reply => reply === 1);
    },
    async commit(writes, univKeys, guard) {
      const tx = conn.multi();
      for (const change of writes.changes) {
        const key = keys.stratUniv(change.id);
        if (change.op === 'set') {
          // Created: SCARD found no set and WATCH holds that until EXEC.
          if (change.replace) tx.unlink(key);
          queueEncodedSadd(tx, key, change.tickers);
        } else {
          tx.unlink(key);
          if (change.deleted) tx.unlink(...keys.stratEvaluation(change.id));
        }
      }
      if (writes.fpSet.length > 0) tx.hset(fpKey, ...writes.fpSet);
      if (writes.fpDel.length > 0) tx.hdel(fpKey, ...writes.fpDel);
      if (
        writes.changes.length === 0 &&
        writes.fpSet.length === 0 &&
        writes.fpDel.length === 0
      ) {
        await guard(conn.unwatch());
        return true;
      }
      return execOk(await guard(tx.exec()));
    },
    openLane: () => openLane(conn, deps),
  };
}

/**
 * Two batches in flight, each on its own connection (WATCH state is per
 * connection): one batch's PostgreSQL reads and JavaScript overlap the
 * other's Redis work.
 */
async function openLane(
  conn: Redis,
  deps: TransportDeps,
): Promise<Lane | undefined> {
  const { metrics, logger } = deps;
  const lane = conn.duplicate({
    connectionName: `${conn.options.connectionName ?? 'reconcile'}:2`,
    autoResendUnfulfilledCommands: false,
  });
  lane.on('error', (err: Error) => {
    metrics.errors.inc({ where: 'reconcile' });
    logger.warn({ err }, 'second reconcile connection error');
  });
  if (await waitForRedisReady(lane, 5000))
    return {
      transport: createStandaloneTransport(lane, deps),
      close: () => lane.disconnect(),
    };
  lane.disconnect();
  logger.warn('second reconcile connection not ready; one batch at a time');
  return undefined;
}

/**
 * WATCH, MULTI and a script may only name keys of one slot: a batch is one
 * strategy, and the fingerprint and a deleted strategy's `:LAST` are written
 * after its EXEC (see `createReconciler` for why that is safe). The client
 * must be created with `autoResend: false`, since node connections come and
 * go.
 */
function createClusterTransport(
  conn: Cluster,
  deps: TransportDeps,
): ReconcileTransport {
  const { keys } = deps;
  const fpKey = keys.univFingerprints();
  // UNWATCH (no key) would go to any node; an EXEC of a one-read transaction
  // on the watched key reaches the node holding the WATCH and clears it there.
  const unwatch = async (univKeys: readonly string[]) => {
    await conn.multi().exists(univKeys[0]!).exec();
  };
  return {
    oneStrategyPerBatch: true,
    // The node connections carrying commands now (a dead node's connection
    // keeps closing while it retries).
    guarded: work =>
      guardedOn(
        [conn, ...conn.nodes().filter(n => n.status === 'ready')],
        work,
      ),
    watch: univKeys => conn.watch(...univKeys),
    unwatch,
    // A cluster pipeline must stay on one node; the keys do not.
    async read(ids, univKeys) {
      const [stored, ...counts] = await Promise.all([
        conn.hmget(fpKey, ...ids.map(String)),
        ...univKeys.map(key => conn.scard(key)),
      ]);
      return { stored, counts };
    },
    async sameMembers(probes) {
      const calls = probes.map(p => {
        const cmd = new EncodedMembersScript(
          VERIFY_SCRIPT,
          keys.stratUniv(p.id),
          p.tickers,
        );
        void conn.sendCommand(cmd);
        return cmd.promise;
      });
      return (await Promise.all(calls)).map(reply => reply === 1);
    },
    async commit(writes, univKeys, guard) {
      const tx = conn.multi();
      const after: (() => Promise<unknown>)[] = [];
      for (const change of writes.changes) {
        const key = keys.stratUniv(change.id);
        if (change.op === 'set') {
          if (change.replace) tx.unlink(key);
          queueEncodedSadd(tx, key, change.tickers);
        } else {
          tx.unlink(key);
          if (change.deleted) {
            const evaluation = keys.stratEvaluation(change.id);
            after.push(() => conn.unlink(...evaluation));
          }
        }
      }
      const { fpSet, fpDel } = writes;
      if (fpSet.length > 0) after.push(() => conn.hset(fpKey, ...fpSet));
      if (fpDel.length > 0) after.push(() => conn.hdel(fpKey, ...fpDel));
      if (writes.changes.length === 0) {
        await guard(unwatch(univKeys));
      } else if (!execOk(await guard(tx.exec()))) return false;
      for (const step of after) await guard(step());
      return true;
    },
    openLane: () => Promise.resolve(undefined),
  };
}

/** True when EXEC ran (false: a watched key changed); throws a command's error. */
function execOk(res: [Error | null, unknown][] | null): boolean {
  if (res === null) return false;
  for (const [err] of res) if (err) throw err;
  return true;
}

function checked(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('Redis pipeline returned no results');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
