import { Queue } from 'bullmq';
import {
  desiredUniverse,
  echoValue,
  enqueueReconcile,
  enqueueUniverseSync,
  normalizeTicker,
  parseStrategyId,
  QUEUE_NAMES,
  type RedisKeys,
  type StrategyRow,
} from '@tickpulse/contracts';
import {
  createTickStore,
  createUniverseStore,
  type RedisClient,
} from '@tickpulse/redis';

/** What the operator commands need. */
export interface CommandDeps {
  redis: RedisClient;
  keys: RedisKeys;
  bullPrefix: string;
  print: (line: string) => void;
}

const universeQueue = (deps: CommandDeps) => {
  const q = new Queue(QUEUE_NAMES.universeSync, {
    connection: deps.redis,
    prefix: deps.bullPrefix,
  });
  q.on('error', () => undefined);
  return q;
};

/** What `sync` needs besides Redis: the strategy's row, to say what the sync will do. */
export interface SyncDeps extends CommandDeps {
  /** The row (undefined: no such strategy); throws when the table cannot be read. */
  fetchStrategy(strategyId: number): Promise<StrategyRow | undefined>;
}

/** What universe-sync will do with the set, by the rule it applies itself. */
function syncOutcome(row: StrategyRow, set: string): string {
  const want = desiredUniverse(row);
  return want.kind === 'set'
    ? `${set} will hold ${want.tickers.length} tickers`
    : `${set} will be removed (${want.reason})`;
}

/**
 * `tickpulse sync <id>`: enqueues one strategy's universe sync and says what
 * it will do. A strategy that is neither in the table nor in Redis is a typo:
 * nothing is queued and the exit code is 1. A missing row whose set still
 * exists is queued (the sync removes the stale set). When the table cannot
 * be read the sync is queued anyway: the worker reads the row itself.
 */
export async function syncCommand(
  deps: SyncDeps,
  rawId: string | undefined,
): Promise<number> {
  const parsed = parseStrategyId(rawId ?? '');
  if (!parsed.ok) {
    deps.print(`usage: tickpulse sync <strategyId>  (${parsed.reason})`);
    return 2;
  }
  const { id } = parsed;
  const set = deps.keys.stratUniv(id);
  let outcome: string;
  try {
    const row = await deps.fetchStrategy(id);
    if (row) outcome = syncOutcome(row, set);
    else if ((await deps.redis.exists(set)) === 1)
      outcome = `strategy ${id} is not in the strategies table: ${set} will be removed`;
    else {
      deps.print(
        `strategy ${id} does not exist (not in the strategies table, no ${set}): nothing queued; check the id or DATABASE_URL`,
      );
      return 1;
    }
  } catch (err) {
    outcome = `could not read strategy ${id} from the strategies table at ${(err as Error).message}; the worker will read it (set DATABASE_URL to check here)`;
  }
  const q = universeQueue(deps);
  try {
    const jobId = await enqueueUniverseSync(q, id, 'cli');
    deps.print(`queued sync of strategy ${id} (job ${jobId}): ${outcome}`);
    return 0;
  } finally {
    await q.close();
  }
}

/** `tickpulse reconcile`: enqueues a full reconcile. */
export async function reconcileCommand(deps: CommandDeps): Promise<number> {
  const q = universeQueue(deps);
  try {
    deps.print(`queued reconcile (job ${await enqueueReconcile(q, 'cli')})`);
    return 0;
  } finally {
    await q.close();
  }
}

/** `tickpulse inspect <ticker>`: its last trade time and the universes holding it. */
export async function inspectCommand(
  deps: CommandDeps,
  rawTicker: string | undefined,
): Promise<number> {
  if (!rawTicker) {
    deps.print('usage: tickpulse inspect <ticker>');
    return 2;
  }
  const parsed = normalizeTicker(rawTicker);
  if (!parsed.ok) {
    deps.print(
      `usage: tickpulse inspect <ticker>  (${echoValue(rawTicker)}: ${parsed.reason})`,
    );
    return 2;
  }
  const { ticker } = parsed;
  const last = await createTickStore(deps.redis, deps.keys).lastUpdate(ticker);
  deps.print(
    last === null
      ? `${ticker}: no eligible trade recorded in TICK:UPD`
      : `${ticker}: last eligible trade ${new Date(last).toISOString()} (${((Date.now() - last) / 1000).toFixed(1)} s ago)`,
  );
  const holders: number[] = [];
  for await (const ids of createUniverseStore(
    deps.redis,
    deps.keys,
  ).scanStrategyIds()) {
    // One command per key, not a pipeline: on a cluster the keys live on different nodes.
    const res = await Promise.all(
      ids.map(id => deps.redis.sismember(deps.keys.stratUniv(id), ticker)),
    );
    res.forEach((member, i) => member === 1 && holders.push(ids[i]!));
  }
  deps.print(
    holders.length === 0
      ? `${ticker}: in no strategy universe (global strategies still see it)`
      : `${ticker}: in the universe of strategies ${holders.sort((a, b) => a - b).join(', ')}`,
  );
  return 0;
}

/**
 * `tickpulse status`: which Redis and namespace it read, what Redis holds
 * there and the queue depths (a count of 0 under the wrong prefix looks
 * like an empty system otherwise).
 *
 * @param target where Redis is, credentials redacted (`describeRedisTarget`).
 */
export async function statusCommand(
  deps: CommandDeps,
  target: string,
): Promise<number> {
  const prefix = deps.keys.prefix;
  deps.print(
    `Redis ${target}, ${prefix === '' ? 'no key prefix' : `key prefix ${JSON.stringify(prefix)}`}, BullMQ prefix ${JSON.stringify(deps.bullPrefix)}`,
  );
  const store = createTickStore(deps.redis, deps.keys);
  const size = await store.size();
  const newest = await deps.redis.zrange(
    deps.keys.tickUpd(),
    '0',
    '0',
    'REV',
    'WITHSCORES',
  );
  const newestMs = newest[1] === undefined ? null : Number(newest[1]);
  deps.print(
    `TICK:UPD: ${size} tickers` +
      (newestMs === null
        ? ''
        : `, newest trade ${((Date.now() - newestMs) / 1000).toFixed(1)} s ago (${newest[0]})`),
  );
  let universes = 0;
  for await (const page of createUniverseStore(
    deps.redis,
    deps.keys,
  ).scanStrategyIds()) {
    universes += page.length;
  }
  deps.print(`STRAT:*:UNIV: ${universes} strategy universes`);
  for (const name of Object.values(QUEUE_NAMES)) {
    const q = new Queue(name, {
      connection: deps.redis,
      prefix: deps.bullPrefix,
    });
    q.on('error', () => undefined);
    const c = await q.getJobCounts('wait', 'active', 'delayed', 'failed');
    deps.print(
      `queue ${name}: ${c.wait} waiting, ${c.active} active, ${c.delayed} delayed, ${c.failed} failed`,
    );
    await q.close();
  }
  return 0;
}
