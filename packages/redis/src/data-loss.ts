import { randomUUID } from 'node:crypto';
import { isCluster, type RedisClient } from './redis.js';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { RedisKeys } from '@tickpulse/contracts';

/** How often each process checks the marker (one GET; on Cluster one per master): data loss is noticed within this. */
export const DATA_LOSS_CHECK_MS = 5000;

/** Counter name, the same in every app that watches (apps tell apart by their scrape job). */
export const DATA_LOSS_METRIC = 'tickpulse_redis_data_loss_total';

/** Bounds the search for a marker key in every master's slots (64 per round trip). */
const MAX_MARKER_CANDIDATES = 1024;

/** A `CLUSTER SLOTS` entry: first slot, last slot, master (host, port, …), replicas. */
interface SlotRange {
  0: number;
  1: number;
  2?: readonly [string, number, ...unknown[]];
}

/** `host:port` of a slot range's master. */
const masterOf = (range: SlotRange) =>
  range[2] ? `${range[2][0]}:${range[2][1]}` : undefined;

/** A running data-loss watch. */
export interface DataLossWatch {
  /** Creates the marker if missing, remembers its epoch and starts checking. */
  start(): Promise<void>;
  /** Stops checking; an in-flight recovery finishes on its own. Idempotent. */
  stop(): void;
  /**
   * Runs one check now (what the timer does); resolves after any recovery:
   * true when this check found a loss, false when the data set is the one
   * seen before, null when Redis could not be asked.
   */
  check(): Promise<boolean | null>;
}

/**
 * Watches Redis for the loss of its data set — a restart without
 * persistence, a FLUSHALL, a failover to an empty replica — and calls
 * `onDataLoss` once per loss so the process can rebuild what it created only
 * at start (job schedulers, universes, TICK:UPD).
 *
 * How: a marker key (`keys.dataEpoch()`) holds a random epoch. Every process
 * creates it if missing (`SET NX`) and remembers the value; a later check
 * that finds it gone, or holding another epoch (another process noticed
 * first and re-created it), means the data set was replaced. The server's
 * `run_id` would not do: it changes on every restart even when persistence
 * kept the data (a false alarm), stays the same across FLUSHALL (a miss),
 * and differs on a failover to a fully synced replica. The marker is
 * replicated with the data, so it answers exactly "is this the data set I
 * started on". It costs one GET per check (on Cluster one per master and a
 * `CLUSTER SLOTS`); a Redis error skips the check
 * (an outage is not a loss; the first check after it tells).
 *
 * On Redis Cluster one marker sits on every master, since a master restarted
 * empty (or flushed) loses only the keys of its own slots: the first of
 * `dataEpoch()`, `dataEpochShard(0)`, `dataEpochShard(1)`, … whose slot the
 * master serves (`CLUSTER SLOTS`, `CLUSTER KEYSLOT`; found again when the
 * slot map changes). Any marker gone or replaced is a loss. A failover to a
 * synced replica keeps the slot's marker; resharding may pick a new marker
 * for a master, which is created, not an alarm. With a hash-tagged key
 * prefix every tickpulse key, markers included, shares one slot and one
 * marker covers them all.
 *
 * A recovery that throws is retried at the next check until it succeeds.
 */
export function createDataLossWatch(deps: {
  redis: RedisClient;
  keys: RedisKeys;
  logger: Logger;
  registry: Registry;
  /** Rebuilds what the loss took; must be idempotent (several replicas run it). */
  onDataLoss: () => Promise<void>;
  checkIntervalMs?: number;
}): DataLossWatch {
  const redis = deps.redis;
  const keys = deps.keys;
  const log = deps.logger.child({ component: 'data-loss' });
  const events = new Counter({
    name: DATA_LOSS_METRIC,
    help: 'Redis data losses noticed by this process (marker key gone or replaced: restart without persistence, FLUSHALL, failover to an empty replica)',
    registers: [deps.registry],
  });
  const every = deps.checkIntervalMs ?? DATA_LOSS_CHECK_MS;
  /** Marker key → the epoch it held when last read; null before the first read. */
  let epochs: Map<string, string> | null = null;
  let placement: { slotMap: string; markers: string[] } | undefined;
  let recoveryPending = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<boolean | null> | undefined;

  const markerKeys = async (): Promise<string[]> => {
    if (!isCluster(redis)) return [keys.dataEpoch()];
    const slots = await redis.cluster('SLOTS');
    const slotMap = JSON.stringify(slots.map(r => [r[0], r[1], masterOf(r)]));
    if (placement?.slotMap !== slotMap)
      placement = { slotMap, markers: await placeMarkers(slots) };
    return placement.markers;
  };

  /** One marker key per master (see above). */
  const placeMarkers = async (slots: SlotRange[]): Promise<string[]> => {
    const servedBy = (slot: number) => {
      const range = slots.find(r => slot >= r[0] && slot <= r[1]);
      return range && masterOf(range);
    };
    const masters = new Set(slots.map(masterOf));
    masters.delete(undefined);
    const chosen = new Map<string, string>();
    const batch = 64;
    for (let n = -1; n < MAX_MARKER_CANDIDATES && chosen.size < masters.size;) {
      const candidates: string[] = [];
      for (const end = n + batch; n < end; n++)
        candidates.push(n < 0 ? keys.dataEpoch() : keys.dataEpochShard(n));
      const slotsOf = await Promise.all(
        candidates.map(async k => Number(await redis.cluster('KEYSLOT', k))),
      );
      candidates.forEach((k, i) => {
        const master = servedBy(slotsOf[i]!);
        if (master !== undefined && !chosen.has(master)) chosen.set(master, k);
      });
      // A hash-tagged prefix: every candidate is in one slot, one marker is all.
      if (new Set(slotsOf).size === 1) break;
    }
    return [...chosen.values()];
  };

  const currentEpochs = async (): Promise<Map<string, string>> => {
    const markers = await markerKeys();
    const values = await Promise.all(
      markers.map(async key => {
        const value = await redis.get(key);
        if (value !== null) return value;
        await redis.set(key, randomUUID(), 'NX');
        return (await redis.get(key)) ?? '';
      }),
    );
    return new Map(markers.map((k, i) => [k, values[i]!]));
  };

  const recover = async () => {
    try {
      await deps.onDataLoss();
      recoveryPending = false;
      log.info('rebuilt after Redis data loss');
    } catch (err) {
      log.error({ err }, 'rebuild after Redis data loss failed; retrying');
    }
  };

  const checkOnce = async (): Promise<boolean | null> => {
    let now: Map<string, string>;
    try {
      now = await currentEpochs();
    } catch {
      return null;
    }
    const before = epochs;
    const lostMarkers = [...now].filter(
      ([key, value]) => before?.has(key) && before.get(key) !== value,
    );
    const lost = lostMarkers.length > 0;
    if (lost) {
      events.inc();
      recoveryPending = true;
      log.warn(
        { markers: lostMarkers.map(([key]) => key) },
        'Redis lost its data (marker key gone or replaced); rebuilding',
      );
    }
    epochs = now;
    if (recoveryPending) await recover();
    return lost;
  };

  const check = () =>
    (running ??= checkOnce().finally(() => (running = undefined)));

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void check().finally(schedule), every);
    timer.unref();
  };

  return {
    async start() {
      // Redis unreachable at start: the first check that reaches it sets the epoch.
      epochs = await currentEpochs().catch(() => null);
      schedule();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    check,
  };
}
