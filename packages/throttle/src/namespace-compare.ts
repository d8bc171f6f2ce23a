import { isCluster, masterNodes, type RedisClient } from '@tickpulse/redis';
import type { RedisKeys } from '@tickpulse/contracts';

/** How `TICK:UPD` differs between the two namespaces. */
export interface TickComparison {
  /** Tickers in the reference `TICK:UPD`. */
  reference: number;
  /** Tickers in the shadow `TICK:UPD`. */
  shadow: number;
  /** Tickers in both. */
  both: number;
  onlyReference: number;
  onlyShadow: number;
  /** Of the tickers in both: same score. */
  equal: number;
  /** Of the tickers in both: the shadow score is greater. */
  shadowAhead: number;
  /** Of the tickers in both: the shadow score is smaller. */
  shadowBehind: number;
  /** Nearest-rank percentiles of |shadow − reference| in ms over the tickers in both (0 when none). */
  absDeltaMs: { p50: number; p99: number; max: number };
}

/** How the `STRAT:<id>:UNIV` sets differ between the two namespaces. */
export interface UniverseComparison {
  /** Strategies with a reference universe key. */
  reference: number;
  /** Strategies with a shadow universe key. */
  shadow: number;
  /** Strategies with a key in both and the same members. */
  equal: number;
  /** Strategies with a key in both and different members. */
  differ: number;
  onlyReference: number;
  onlyShadow: number;
}

/** The result of one comparison; `tickpulse compare --json` prints exactly this. */
export interface NamespaceComparison {
  ticks: TickComparison;
  universes: UniverseComparison;
}

/** What the comparison reports besides the counts (the CLI's human-readable output). */
export interface ComparisonSamples {
  /** Up to `sampleSize` strategy ids per kind of difference, ascending. */
  differ: number[];
  onlyReference: number[];
  onlyShadow: number[];
}

/** A Redis failure during a comparison, naming what was being read. */
export class CompareError extends Error {
  constructor(
    readonly what: string,
    override readonly cause: unknown,
  ) {
    super(
      `comparison aborted while reading ${what}: ${(cause as Error)?.message ?? String(cause)}`,
    );
    this.name = 'CompareError';
  }
}

export interface CompareOptions {
  /** Elements asked for per SCAN/ZSCAN/SSCAN call (the COUNT hint). */
  pageSize?: number;
  /** Universe keys whose members are read in one pipelined round. */
  strategiesPerRound?: number;
  /** How many example strategy ids to keep per kind of difference. */
  sampleSize?: number;
}

/**
 * Compares the keys two namespaces hold — typically the Go service's
 * unprefixed keys (`reference`) and tickpulse's `REDIS_KEY_PREFIX`
 * (`shadow`) on the same Redis — for `TICK:UPD` and every
 * `STRAT:*:UNIV`. Everything is read in pages (ZSCAN, SCAN, SSCAN with
 * COUNT `pageSize`), so no single call blocks Redis on a large key, and
 * each command names one key, so it works on Redis Cluster too. Memory is
 * one map of the reference `TICK:UPD` plus the members of
 * `strategiesPerRound` universes at a time.
 *
 * The namespaces are read one after the other, not at one instant: keys
 * that are being written while this runs differ by what was written in
 * between.
 *
 * @throws CompareError when a Redis call fails (the message names the key).
 */
export async function compareNamespaces(
  redis: RedisClient,
  reference: RedisKeys,
  shadow: RedisKeys,
  opts: CompareOptions = {},
): Promise<{ comparison: NamespaceComparison; samples: ComparisonSamples }> {
  if (reference.prefix === shadow.prefix) {
    throw new RangeError(
      `reference and shadow namespaces are the same (prefix ${JSON.stringify(shadow.prefix)})`,
    );
  }
  const pageSize = opts.pageSize ?? 1000;
  const ticks = await compareTicks(redis, reference, shadow, pageSize);
  const universes = await compareUniverses(redis, reference, shadow, {
    pageSize,
    perRound: opts.strategiesPerRound ?? 100,
    sampleSize: opts.sampleSize ?? 10,
  });
  return {
    comparison: { ticks, universes: universes.counts },
    samples: universes.samples,
  };
}

async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new CompareError(what, err);
  }
}

async function* zscanPages(
  redis: RedisClient,
  key: string,
  pageSize: number,
): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, flat] = await guarded(key, () =>
      redis.zscan(key, cursor, 'COUNT', pageSize),
    );
    cursor = next;
    if (flat.length > 0) yield flat;
  } while (cursor !== '0');
}

async function compareTicks(
  redis: RedisClient,
  reference: RedisKeys,
  shadow: RedisKeys,
  pageSize: number,
): Promise<TickComparison> {
  // ZSCAN may return a member twice while the set is rehashed: a map keeps one.
  const refScores = new Map<string, number>();
  for await (const flat of zscanPages(redis, reference.tickUpd(), pageSize)) {
    for (let i = 0; i < flat.length; i += 2)
      refScores.set(flat[i]!, Number(flat[i + 1]));
  }
  const seen = new Set<string>();
  const deltas: number[] = [];
  let shadowAhead = 0;
  let shadowBehind = 0;
  let equal = 0;
  for await (const flat of zscanPages(redis, shadow.tickUpd(), pageSize)) {
    for (let i = 0; i < flat.length; i += 2) {
      const ticker = flat[i]!;
      if (seen.has(ticker)) continue;
      seen.add(ticker);
      const ref = refScores.get(ticker);
      if (ref === undefined) continue;
      const delta = Number(flat[i + 1]) - ref;
      if (delta > 0) shadowAhead++;
      else if (delta < 0) shadowBehind++;
      else equal++;
      deltas.push(Math.abs(delta));
    }
  }
  const both = deltas.length;
  deltas.sort((a, b) => a - b);
  return {
    reference: refScores.size,
    shadow: seen.size,
    both,
    onlyReference: refScores.size - both,
    onlyShadow: seen.size - both,
    equal,
    shadowAhead,
    shadowBehind,
    absDeltaMs: {
      p50: nearestRank(deltas, 50),
      p99: nearestRank(deltas, 99),
      max: deltas[both - 1] ?? 0,
    },
  };
}

/** Nearest-rank percentile of ascending `sorted`: the smallest value with ≥ p % at or below it. */
export function nearestRank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

async function strategyIds(
  redis: RedisClient,
  keys: RedisKeys,
  pageSize: number,
): Promise<Set<number>> {
  const ids = new Set<number>();
  // SCAN sees one server's keys: on a cluster every master is scanned.
  const nodes = await guarded('cluster nodes', () => masterNodes(redis));
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await guarded(keys.stratUnivPattern(), () =>
        node.scan(cursor, 'MATCH', keys.stratUnivPattern(), 'COUNT', pageSize),
      );
      cursor = next;
      for (const key of found) {
        const id = keys.strategyIdOfUnivKey(key);
        if (id !== null) ids.add(id);
      }
    } while (cursor !== '0');
  }
  return ids;
}

/**
 * The members of several sets, read with SSCAN: every round pipelines one
 * page of each set that is not finished yet.
 */
async function readSets(
  redis: RedisClient,
  keys: readonly string[],
  pageSize: number,
): Promise<Set<string>[]> {
  const members = keys.map(() => new Set<string>());
  const cursors = keys.map(() => '0');
  let pending = keys.map((_, i) => i);
  while (pending.length > 0) {
    const results = await guarded(
      `${keys[pending[0]!]} (and ${pending.length - 1} more sets)`,
      async () => {
        // A cluster pipeline must stay on one node; the sets sit in many
        // slots, so there each SSCAN is its own (concurrent) request.
        if (isCluster(redis)) {
          const replies = await Promise.all(
            pending.map(i =>
              redis.sscan(keys[i]!, cursors[i]!, 'COUNT', pageSize),
            ),
          );
          return replies.map(r => [null, r] as [null, unknown]);
        }
        const pipeline = redis.pipeline();
        for (const i of pending)
          pipeline.sscan(keys[i]!, cursors[i]!, 'COUNT', pageSize);
        const res = (await pipeline.exec()) ?? [];
        for (const [err] of res) if (err) throw err;
        return res;
      },
    );
    const next: number[] = [];
    results.forEach(([, reply], j) => {
      const i = pending[j]!;
      const [cursor, page] = reply as [string, string[]];
      for (const m of page) members[i]!.add(m);
      cursors[i] = cursor;
      if (cursor !== '0') next.push(i);
    });
    pending = next;
  }
  return members;
}

function sameMembers(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const m of a) if (!b.has(m)) return false;
  return true;
}

async function compareUniverses(
  redis: RedisClient,
  reference: RedisKeys,
  shadow: RedisKeys,
  opts: { pageSize: number; perRound: number; sampleSize: number },
): Promise<{ counts: UniverseComparison; samples: ComparisonSamples }> {
  const refIds = await strategyIds(redis, reference, opts.pageSize);
  const shadowIds = await strategyIds(redis, shadow, opts.pageSize);
  const inBoth = [...refIds]
    .filter(id => shadowIds.has(id))
    .sort((a, b) => a - b);
  const samples: ComparisonSamples = {
    differ: [],
    onlyReference: [...refIds]
      .filter(id => !shadowIds.has(id))
      .sort((a, b) => a - b)
      .slice(0, opts.sampleSize),
    onlyShadow: [...shadowIds]
      .filter(id => !refIds.has(id))
      .sort((a, b) => a - b)
      .slice(0, opts.sampleSize),
  };
  let equal = 0;
  let differ = 0;
  for (let i = 0; i < inBoth.length; i += opts.perRound) {
    const ids = inBoth.slice(i, i + opts.perRound);
    const sets = await readSets(
      redis,
      ids.flatMap(id => [reference.stratUniv(id), shadow.stratUniv(id)]),
      opts.pageSize,
    );
    ids.forEach((id, j) => {
      if (sameMembers(sets[2 * j]!, sets[2 * j + 1]!)) equal++;
      else {
        differ++;
        if (samples.differ.length < opts.sampleSize) samples.differ.push(id);
      }
    });
  }
  // A key deleted between SCAN and SSCAN reads as an empty set; it still counts as present.
  return {
    counts: {
      reference: refIds.size,
      shadow: shadowIds.size,
      equal,
      differ,
      onlyReference: refIds.size - inBoth.length,
      onlyShadow: shadowIds.size - inBoth.length,
    },
    samples,
  };
}
