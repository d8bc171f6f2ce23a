/** One print as the simulator's REST endpoints report it. */
export interface Print {
  sym: string;
  /** SIP time in nanoseconds (beyond 2^53, hence a bigint). */
  sipNs: bigint;
  id: string;
  exchange: number;
  price: number;
  size: number;
  /** Condition ids; absent for a regular sale. */
  conditions: readonly number[] | undefined;
  trfId: number | undefined;
  /** Increases with every recorded print (the REST `sequence_number`). */
  seq: number;
}

/** A print added through the control API (REST-only, or also sent as a frame). */
export interface ScriptedPrint {
  sym: string;
  /** SIP time in ns, as decimal digits or a bigint. */
  sipNs: string | bigint;
  conditions?: number[];
  price?: number;
  size?: number;
  exchange?: number;
}

/** The fields of a generated print the history does not store itself. */
export type Describe = (
  k: number,
  shape: number,
) => Omit<Print, 'sym' | 'sipNs' | 'id' | 'seq'>;

/** Bounded per-ticker memory of recent prints, behind both REST endpoints. */
export interface PrintHistory {
  /** Records a generated print: universe index, SIP ms, trade id, generator shape. */
  recordGenerated(k: number, ms: number, id: number, shape: number): void;
  /** Records a scripted print; returns false for an unknown ticker. */
  recordScripted(p: ScriptedPrint): boolean;
  /** The ticker's remembered prints, in no particular order. */
  prints(k: number): Print[];
  /** The ticker's print with the greatest SIP time, if any. */
  last(k: number): Print | undefined;
  /** Universe index of a symbol. */
  indexOf(sym: string): number | undefined;
  readonly size: number;
}

/**
 * Sub-millisecond part of a generated print's SIP time, derived from its id
 * so it is deterministic and spreads over the whole millisecond (the frames
 * carry only the millisecond, which this keeps: ns / 1e6 = the frame's `t`).
 */
export function subMillisNs(id: number): number {
  return (id * 7919) % 1_000_000;
}

/**
 * Creates the history: a ring of `perTicker` slots per ticker in flat typed
 * arrays (the generator records every trade, up to hundreds of thousands a
 * second, so no object per trade). Scripted prints keep their fields in a
 * side map until their slot is overwritten.
 */
export function createPrintHistory(opts: {
  symbols: readonly string[];
  perTicker: number;
  describe: Describe;
}): PrintHistory {
  const n = opts.symbols.length;
  const cap = Math.max(1, opts.perTicker);
  const ms = new Float64Array(n * cap);
  const sub = new Int32Array(n * cap);
  const ids = new Float64Array(n * cap);
  const shapes = new Int32Array(n * cap);
  const seqs = new Float64Array(n * cap);
  const heads = new Int32Array(n);
  const counts = new Int32Array(n);
  const scripted = new Map<number, Omit<Print, 'sym' | 'sipNs' | 'seq'>>();
  const index = new Map(opts.symbols.map((s, k) => [s, k]));
  let seq = 0;
  let nextScripted = 1;
  let size = 0;

  const slot = (k: number): number => {
    const at = k * cap + heads[k]!;
    heads[k] = (heads[k]! + 1) % cap;
    if (counts[k]! < cap) {
      counts[k]!++;
      size++;
    } else if (shapes[at]! < 0) scripted.delete(-shapes[at]!);
    return at;
  };

  const read = (k: number, at: number): Print => {
    const sipNs = BigInt(ms[at]!) * 1_000_000n + BigInt(sub[at]!);
    const shape = shapes[at]!;
    const base =
      shape < 0
        ? scripted.get(-shape)!
        : { id: String(ids[at]!), ...opts.describe(k, shape) };
    return { ...base, sym: opts.symbols[k]!, sipNs, seq: seqs[at]! };
  };

  return {
    recordGenerated(k, t, id, shape) {
      const at = slot(k);
      ms[at] = t;
      sub[at] = subMillisNs(id);
      ids[at] = id;
      shapes[at] = shape;
      seqs[at] = ++seq;
    },
    recordScripted(p) {
      const k = index.get(p.sym);
      if (k === undefined) return false;
      const ns = BigInt(p.sipNs);
      const at = slot(k);
      const key = nextScripted++;
      ms[at] = Number(ns / 1_000_000n);
      sub[at] = Number(ns % 1_000_000n);
      shapes[at] = -key;
      seqs[at] = ++seq;
      scripted.set(key, {
        id: `s${key}`,
        exchange: p.exchange ?? 11,
        price: p.price ?? 10,
        size: p.size ?? 100,
        conditions: p.conditions?.length ? [...p.conditions] : undefined,
        trfId: undefined,
      });
      return true;
    },
    prints(k) {
      const out: Print[] = [];
      for (let j = 0; j < counts[k]!; j++) out.push(read(k, k * cap + j));
      return out;
    },
    last(k) {
      let best = -1;
      for (let j = 0; j < counts[k]!; j++) {
        const at = k * cap + j;
        if (
          best < 0 ||
          ms[at]! > ms[best]! ||
          (ms[at] === ms[best] &&
            (sub[at]! > sub[best]! ||
              (sub[at] === sub[best] && seqs[at]! > seqs[best]!)))
        )
          best = at;
      }
      return best < 0 ? undefined : read(k, best);
    },
    indexOf: sym => index.get(sym),
    get size() {
      return size;
    },
  };
}
