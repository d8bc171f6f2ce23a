/**
 * Every Redis key tickpulse reads or writes is built here and nowhere else.
 *
 * With the default empty prefix the strings are byte-identical to the
 * existing Go backend's (`TICK:UPD`, `STRAT:<id>:UNIV`, `STRAT:<id>:LAST`),
 * which reads the same keys; a prefix namespaces side-by-side environments
 * and tests.
 *
 * On Redis Cluster the production keys stay unprefixed, so they hash to
 * different slots and every operation on them is single-key. A tickpulse
 * helper key that must be used together with one of them takes that key's
 * whole name as its hash tag (`{STRAT:5:UNIV}:tmp:…` hashes exactly like
 * `STRAT:5:UNIV`), see `sameSlot`.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** ZSET ticker → Unix ms of the latest eligible trade. */
  tickUpd(): string;
  /** SET of the strategy's (upper-case) tickers. */
  stratUniv(strategyId: number): string;
  /** HASH ticker → decimal Unix ms of the last evaluated bucket start. */
  stratLast(strategyId: number): string;
  /**
   * HASH ticker → in-flight planner claim (tickpulse-only; the Go backend
   * never reads it). In `STRAT:<id>:LAST`'s slot, so that the planner's
   * claim step and record step touch one slot.
   */
  stratClaim(strategyId: number): string;
  /**
   * HASH ticker → decimal Unix ms of the newest eligible trade the ticker's
   * last lossless evaluation covered; field `*` holds the start of the
   * window the next lossless plan reads (tickpulse-only; in LAST's slot).
   */
  stratSeen(strategyId: number): string;
  /**
   * HASH ticker → decimal bucket start in which a lossless evaluation of
   * the ticker last triggered (tickpulse-only; in LAST's slot).
   */
  stratTriggered(strategyId: number): string;
  /**
   * LAST and the tickpulse hashes beside it (CLAIM, SEEN, TRIG): one slot,
   * so one UNLINK drops a deleted strategy's evaluation state on Cluster too.
   */
  stratEvaluation(strategyId: number): string[];
  /** SCAN MATCH pattern for every strategy universe key under this prefix. */
  stratUnivPattern(): string;
  /** The strategy id of a universe key produced by `stratUniv`, else null. */
  strategyIdOfUnivKey(key: string): number | null;
  /** A unique scratch key in `key`'s hash slot. */
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
   * STRING: one more epoch marker, `{n}` its hash tag. On Redis Cluster the
   * data-loss watch places one marker on every master (the first of
   * `dataEpoch()`, `dataEpochShard(0)`, `dataEpochShard(1)`, … in a slot the
   * master serves), so losing any one master's data is noticed.
   */
  dataEpochShard(n: number): string;
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
    stratClaim: id =>
      sameSlot(`${prefix}STRAT:${strategyIdPart(id)}:LAST`, 'CLAIM'),
    stratSeen: id =>
      sameSlot(`${prefix}STRAT:${strategyIdPart(id)}:LAST`, 'SEEN'),
    stratTriggered: id =>
      sameSlot(`${prefix}STRAT:${strategyIdPart(id)}:LAST`, 'TRIG'),
    stratEvaluation: id => {
      const last = `${prefix}STRAT:${strategyIdPart(id)}:LAST`;
      return [last, ...['CLAIM', 'SEEN', 'TRIG'].map(x => sameSlot(last, x))];
    },
    stratUnivPattern: () => `${escapeGlob(prefix)}STRAT:*:UNIV`,
    strategyIdOfUnivKey: key => {
      const m = univRe.exec(key);
      if (!m) return null;
      const id = Number(m[1]);
      return Number.isSafeInteger(id) ? id : null;
    },
    scratch: (key, unique) => sameSlot(key, `tmp:${unique}`),
    univFingerprints: () => `${prefix}TICKPULSE:UNIV:FP`,
    lease: name => `${prefix}TICKPULSE:LEASE:${name}`,
    dataEpoch: () => `${prefix}TICKPULSE:EPOCH`,
    dataEpochShard: n => `${prefix}TICKPULSE:EPOCH:{${n}}`,
    watermark: name => `${prefix}TICKPULSE:WATERMARK:${name}`,
  };
}

/**
 * A key that Redis Cluster hashes exactly like `key`: `key` becomes the hash
 * tag (`{key}:suffix`), unless `key` already has a tag, which then decides
 * both (`{tp}:STRAT:5:UNIV:suffix`). Cluster's rule: the tag is what lies
 * between the first `{` and the first `}` after it, when not empty.
 */
export function sameSlot(key: string, suffix: string): string {
  if (hashTag(key) !== null) return `${key}:${suffix}`;
  if (key.includes('}')) {
    throw new RangeError(
      `cannot build a same-slot key for ${JSON.stringify(key)}: it has a "}" but no hash tag`,
    );
  }
  return `{${key}}:${suffix}`;
}

/** The hash tag of a key by Redis Cluster's rule, or null when the whole key is hashed. */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : null;
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
