/**
 * Every Redis key tickpulse reads or writes is built here and nowhere else.
 *
 * With the default empty prefix the strings are byte-identical to the
 * existing Go backend's (`TICK:UPD`, `STRAT:<id>:UNIV`, `STRAT:<id>:LAST`),
 * which reads the same keys; a prefix namespaces side-by-side environments
 * and tests, and a hash-tagged prefix such as `{tp}:` keeps every key in one
 * Redis Cluster slot for multi-key scripts.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** ZSET ticker → Unix ms of the latest eligible trade. */
  tickUpd(): string;
  /** SET of the strategy's (upper-case) tickers. */
  stratUniv(strategyId: number): string;
  /** HASH ticker → decimal Unix ms of the last evaluated bucket start. */
  stratLast(strategyId: number): string;
  /** HASH ticker → in-flight planner claim (tickpulse-only; the Go backend never reads it). */
  stratClaim(strategyId: number): string;
  /** SCAN MATCH pattern for every strategy universe key under this prefix. */
  stratUnivPattern(): string;
  /** The strategy id of a universe key produced by `stratUniv`, else null. */
  strategyIdOfUnivKey(key: string): number | null;
  /** A unique scratch key next to `key` (same hash slot when the prefix is hash-tagged). */
  scratch(key: string, unique: string): string;
  /**
   * HASH strategy id → fingerprint of the universe reconcile last wrote or
   * verified (tickpulse-only; the Go backend never reads it). A hint that
   * lets reconcile skip comparing members; never the source of truth.
   */
  univFingerprints(): string;
  /** A tickpulse-internal lease (leader election, single-run locks), e.g. `lease('ingest')`. */
  lease(name: string): string;
  /**
   * STRING holding a random epoch of the data set (tickpulse-only): gone or
   * changed means Redis lost its data (see `createDataLossWatch`).
   */
  dataEpoch(): string;
  /**
   * STRING: decimal Unix ms up to which a feed was read and its ticks
   * published, e.g. `watermark('ingest')` (tickpulse-only): where the next
   * leader's gap begins.
   */
  watermark(name: string): string;
}

/** Builds the key schema under an optional namespace prefix. */
export function createKeys(prefix = ''): RedisKeys {
  const univRe = new RegExp(`^${escapeRegExp(prefix)}STRAT:(\\d+):UNIV$`);
  return {
    prefix,
    tickUpd: () => `${prefix}TICK:UPD`,
    stratUniv: id => `${prefix}STRAT:${strategyIdPart(id)}:UNIV`,
    stratLast: id => `${prefix}STRAT:${strategyIdPart(id)}:LAST`,
    stratClaim: id => `${prefix}STRAT:${strategyIdPart(id)}:CLAIM`,
    stratUnivPattern: () => `${escapeGlob(prefix)}STRAT:*:UNIV`,
    strategyIdOfUnivKey: key => {
      const m = univRe.exec(key);
      if (!m) return null;
      const id = Number(m[1]);
      return Number.isSafeInteger(id) ? id : null;
    },
    scratch: (key, unique) => `${key}:tmp:${unique}`,
    univFingerprints: () => `${prefix}TICKPULSE:UNIV:FP`,
    lease: name => `${prefix}TICKPULSE:LEASE:${name}`,
    dataEpoch: () => `${prefix}TICKPULSE:EPOCH`,
    watermark: name => `${prefix}TICKPULSE:WATERMARK:${name}`,
  };
}

function strategyIdPart(id: number): string {
  // The Go backend formats ids with %d; anything else would name a key it never reads.
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new RangeError(
      `strategy id must be a non-negative integer, got ${id}`,
    );
  }
  return String(id);
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, c => `\\${c}`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, c => `\\${c}`);
}
