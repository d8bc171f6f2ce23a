import {
  createRandom,
  createTradeDrawer,
  type SessionMode,
  type SimTicker,
} from './stream.js';

/** Called once per generated frame. */
export type FrameSink = (frame: Buffer, events: number) => void;

/** Cheap generation of realistic trade frames for the simulator's rate mode. */
export interface FrameGenerator {
  /**
   * Generates `n` trades stamped around `now` as frames of at most
   * `maxPerFrame` trades, handing each (a JSON array, as a Buffer the sink
   * may keep) to `sink` before building the next.
   */
  generate(n: number, now: number, maxPerFrame: number, sink: FrameSink): void;
  /**
   * Universe index of each trade of the frame last handed to the sink, with
   * its byte span in that frame (`starts[j]`..`ends[j]`), for per-ticker
   * subscribers. Valid only inside the sink call.
   */
  readonly frameTickers: Int32Array;
  readonly frameStarts: Int32Array;
  readonly frameEnds: Int32Array;
  /** Trade id (`i`), SIP time (`t`, ms) and shape of each trade of that frame, for `describe`. */
  readonly frameIds: Float64Array;
  readonly frameTimes: Float64Array;
  readonly frameShapes: Int32Array;
  /**
   * The fields of one generated trade other than its id and time, from its
   * universe index and `frameShapes` entry: what the simulator's REST history
   * needs to answer consistently with the frames it sent.
   */
  describe(k: number, shape: number): TradeShape;
}

/** The fields of a generated trade that `FrameGenerator.describe` recovers. */
export interface TradeShape {
  exchange: number;
  price: number;
  size: number;
  /** Condition ids (absent = a regular sale); shared, do not mutate. */
  conditions: readonly number[] | undefined;
  /** TRF id of an off-exchange print, else undefined. */
  trfId: number | undefined;
}

const Q_PART = Buffer.from(',"q":', 'latin1');

/** Writes a non-negative int32 as ASCII digits at `pos`; returns the end. */
function writeInt(b: Uint8Array, pos: number, v: number): number {
  let x = v | 0;
  let len = 1;
  for (let y = x; y >= 10; y = (y / 10) | 0) len++;
  for (let k = pos + len - 1; k >= pos; k--) {
    const q = (x / 10) | 0;
    b[k] = 48 + x - q * 10;
    x = q;
  }
  return pos + len;
}

/**
 * Writes a non-negative integer below 2^53 as ASCII digits at `pos`;
 * returns the position after it. Integer arithmetic only (no float modulo).
 */
function writeUint(b: Uint8Array, pos: number, v: number): number {
  if (v < 1e9) return writeInt(b, pos, v);
  const hi = Math.floor(v / 1e9);
  let lo = (v - hi * 1e9) | 0;
  pos = writeUint(b, pos, hi);
  for (let k = pos + 8; k >= pos; k--) {
    const q = (lo / 10) | 0;
    b[k] = 48 + lo - q * 10;
    lo = q;
  }
  return pos + 9;
}

/** Recent offsets (ms before `now`) whose digits are precomputed per call. */
const T_CACHE = 64;

/** Shapes (everything of a trade but ticker, price and numbering) per pool. */
const SHAPES = 8192; // a power of two
/** Pre-serialised price variants per ticker. */
const PRICES = 4;

/** Trade shapes of one session mode: exchange, size, conditions, TRF fields, time offsets. */
interface ShapePool {
  bytes: Uint8Array;
  /** Per shape, stride 5: `X,"i":"` | `S…,"t":` | the same with [60] added | `,"trfi":N,"trft":` (empty when on-exchange) → 5 boundaries. */
  at: Int32Array;
  /** `now - t` and `now - trft` (-1 = no TRF fields). */
  tOff: Int32Array;
  trftOff: Int32Array;
  maxBytes: number;
  /** Per shape, what `describe` returns (conditions without and with [60]). */
  fields: { x: number; s: number; c: number[]; cSsr: number[]; trfi: number }[];
}

/**
 * Creates the simulator's frame generator: the distribution of
 * `createTradeGenerator` at a fraction of the cost. Per session mode it draws
 * 8 192 trade shapes once (exchange, size, `ds`, conditions, TRF fields and
 * time offsets, from the same drawer) and keeps their bytes; per ticker it
 * keeps its `{"ev":"T","sym":…` head and a few pre-serialised prices. Per trade
 * it picks a ticker (Zipf, by an alias table: one random number), a shape and a
 * price variant, copies those fragments and writes only the trade id, the
 * times and the per-ticker sequence number. Everything stays small enough to
 * live in the CPU caches, which matters more here than the copying itself.
 * Tickers flagged short-sale-restricted (2 %) carry condition 60 as before.
 */
export function createFrameGenerator(opts: {
  tickers: readonly SimTicker[];
  seed?: number;
  session?: SessionMode;
}): FrameGenerator {
  const seed = opts.seed ?? 7;
  const n = opts.tickers.length;
  const rnd = createRandom(seed ^ 0x5bd1e995);
  const shapes: (ShapePool | undefined)[] = [undefined, undefined];
  const seqs = new Float64Array(n);
  // The drawer decides regular vs extended hours (its own 1 s cache).
  const session = createTradeDrawer({
    tickers: [],
    seed,
    session: opts.session,
  });

  // Alias table for Zipf(1) ticker choice with one random number per trade.
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  {
    let h = 0;
    for (let k = 0; k < n; k++) h += 1 / (k + 1);
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let k = 0; k < n; k++) {
      scaled[k] = (n / h) * (1 / (k + 1));
      (scaled[k]! < 1 ? small : large).push(k);
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large[large.length - 1]!;
      prob[s] = scaled[s]!;
      alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      if (scaled[l]! < 1) small.push(large.pop()!);
    }
    for (const k of large) prob[k] = 1;
    for (const k of small) prob[k] = 1;
  }

  // Per ticker: head `{"ev":"T","sym":"S","x":` then PRICES × `","z":Z,"p":P,"s":`.
  const tickerAt = new Int32Array(n * (PRICES + 2));
  const prices = new Float64Array(n * PRICES);
  const ssr = new Uint8Array(n);
  let tickerBytes: Uint8Array;
  let maxTickerBytes = 0;
  {
    const trng = createRandom(seed + 2);
    const parts: string[] = [];
    let pos = 0;
    for (let k = 0; k < n; k++) {
      const tk = opts.tickers[k]!;
      ssr[k] = trng() < 0.02 ? 1 : 0;
      const base = k * (PRICES + 2);
      const head = `{"ev":"T","sym":"${tk.sym}","x":`;
      tickerAt[base] = pos;
      parts.push(head);
      pos += head.length;
      tickerAt[base + 1] = pos;
      let price = tk.price;
      let longest = 0;
      for (let v = 0; v < PRICES; v++) {
        price = Math.max(0.01, price * (1 + (trng() - 0.5) * 0.0008));
        const p =
          price >= 1
            ? Math.round(price * 100) / 100
            : Math.round(price * 10000) / 10000;
        prices[k * PRICES + v] = p;
        const zp = `","z":${tk.tape},"p":${p},"s":`;
        parts.push(zp);
        pos += zp.length;
        tickerAt[base + 2 + v] = pos;
        longest = Math.max(longest, zp.length);
      }
      maxTickerBytes = Math.max(maxTickerBytes, head.length + longest);
    }
    // Symbols are printable ASCII: latin1 is exact, one byte per char.
    tickerBytes = Buffer.from(parts.join(''), 'latin1');
  }

  let tradeId = 1;
  let scratch = new Uint8Array(0);
  let frameTickers = new Int32Array(0);
  let frameStarts = new Int32Array(0);
  let frameEnds = new Int32Array(0);
  let frameIds = new Float64Array(0);
  let frameTimes = new Float64Array(0);
  let frameShapes = new Int32Array(0);
  // Digits of now - off for off < T_CACHE: nearly every t and trft is one.
  const tDigits = new Uint8Array(T_CACHE * 16);
  const tLens = new Uint8Array(T_CACHE);
  let tNow = -1;
  const writeTime = (out: Uint8Array, o: number, off: number): number => {
    if (off >= T_CACHE) return writeUint(out, o, tNow - off);
    const base = off * 16;
    for (let p = base, end = base + tLens[off]!; p < end; p++)
      out[o++] = tDigits[p]!;
    return o;
  };

  const buildShapes = (regular: boolean): ShapePool => {
    // One dummy listing: shapes do not depend on the ticker (but [60] does,
    // which the drawer adds for its own restricted tickers: stripped here).
    const drawer = createTradeDrawer({
      tickers: [{ sym: 'X', tape: 1, price: 10, seq: 0 }],
      seed: seed + (regular ? 0 : 1),
      session: regular ? 'regular' : 'extended',
    });
    const base = 1_700_000_000_000;
    const at = new Int32Array(SHAPES * 5);
    const tOff = new Int32Array(SHAPES);
    const trftOff = new Int32Array(SHAPES);
    const fields: ShapePool['fields'] = [];
    const parts: string[] = [];
    let pos = 0;
    let maxFixed = 0;
    for (let j = 0; j < SHAPES; j++) {
      const tr = drawer.draw(0, base, regular);
      const conds = tr.conds.filter(c => c !== 60);
      const ds = tr.ds !== undefined ? `,"ds":"${tr.ds}"` : '';
      const list = (c: number[]) =>
        c.length > 0 ? `,"c":[${c.join(',')}]` : '';
      const seg = [
        `${tr.x},"i":"`,
        `${tr.s}${ds}${list(conds)},"t":`,
        `${tr.s}${ds}${list([...conds, 60])},"t":`,
        tr.trfi >= 0 ? `,"trfi":${tr.trfi},"trft":` : '',
      ];
      at[j * 5] = pos;
      for (let m = 0; m < 4; m++) {
        parts.push(seg[m]!);
        pos += seg[m]!.length;
        at[j * 5 + m + 1] = pos;
      }
      fields.push({
        x: tr.x,
        s: tr.s,
        c: conds,
        cSsr: [...conds, 60],
        trfi: tr.trfi,
      });
      tOff[j] = base - tr.t;
      trftOff[j] = tr.trfi >= 0 ? base - tr.trft : -1;
      maxFixed = Math.max(maxFixed, pos - at[j * 5]!);
    }
    return {
      bytes: Buffer.from(parts.join(''), 'latin1'),
      at,
      tOff,
      trftOff,
      fields,
      // + ticker head and price, id, t, q, trft (≤ 16 digits each), `,"q":`, `}`, `,`.
      maxBytes: maxFixed + maxTickerBytes + 4 * 16 + Q_PART.length + 2,
    };
  };

  const gen: FrameGenerator = {
    get frameTickers() {
      return frameTickers;
    },
    get frameStarts() {
      return frameStarts;
    },
    get frameEnds() {
      return frameEnds;
    },
    get frameIds() {
      return frameIds;
    },
    get frameTimes() {
      return frameTimes;
    },
    get frameShapes() {
      return frameShapes;
    },
    describe(k, shape) {
      // shape = pool (bit 0: regular hours) + 2 × (shape index × 4 + price variant).
      const pool = shapes[shape & 1]!;
      const rest = shape >>> 1;
      const f = pool.fields[rest >>> 2]!;
      const c = ssr[k] === 1 ? f.cSsr : f.c;
      return {
        exchange: f.x,
        price: prices[k * PRICES + (rest & 3)]!,
        size: f.s,
        conditions: c.length > 0 ? c : undefined,
        trfId: f.trfi >= 0 ? f.trfi : undefined,
      };
    },
    generate(total, now, maxPerFrame, sink) {
      if (total <= 0 || n === 0) return;
      const poolBit = session.regular(now) ? 1 : 0;
      const pool = (shapes[poolBit] ??= buildShapes(poolBit === 1));
      const { bytes, at, tOff, trftOff } = pool;
      const tb = tickerBytes;
      const per = Math.max(1, Math.min(maxPerFrame, total));
      const need = per * pool.maxBytes + 2;
      if (scratch.length < need) scratch = new Uint8Array(need);
      if (frameTickers.length < per) {
        frameTickers = new Int32Array(per);
        frameStarts = new Int32Array(per);
        frameEnds = new Int32Array(per);
        frameIds = new Float64Array(per);
        frameTimes = new Float64Array(per);
        frameShapes = new Int32Array(per);
      }
      if (now !== tNow) {
        tNow = now;
        for (let off = 0; off < T_CACHE; off++)
          tLens[off] = writeUint(tDigits, off * 16, now - off) - off * 16;
      }
      const out = scratch;
      let left = total;
      while (left > 0) {
        const count = Math.min(left, per);
        left -= count;
        let o = 0;
        out[o++] = 91; // [
        for (let e = 0; e < count; e++) {
          if (e > 0) out[o++] = 44; // ,
          // Ticker by the alias method (integer and fractional part of one
          // random number); shape and price variant from a second one.
          const u = rnd();
          const us = u * n;
          const i = us | 0;
          const k = us - i < prob[i]! ? i : alias[i]!;
          const bits = (rnd() * 4294967296) >>> 0;
          const j = (bits & (SHAPES - 1)) * 5;
          const v = (bits >>> 13) & (PRICES - 1);
          frameTickers[e] = k;
          frameStarts[e] = o;
          const tBase = k * (PRICES + 2);
          for (
            let p = tickerAt[tBase]!, end = tickerAt[tBase + 1]!;
            p < end;
            p++
          )
            out[o++] = tb[p]!;
          for (let p = at[j]!, end = at[j + 1]!; p < end; p++)
            out[o++] = bytes[p]!;
          frameIds[e] = tradeId;
          o = writeUint(out, o, tradeId++);
          for (
            let p = tickerAt[tBase + 1 + v]!, end = tickerAt[tBase + 2 + v]!;
            p < end;
            p++
          )
            out[o++] = tb[p]!;
          const b = ssr[k] === 1 ? j + 2 : j + 1;
          for (let p = at[b]!, end = at[b + 1]!; p < end; p++)
            out[o++] = bytes[p]!;
          const s = j / 5;
          frameTimes[e] = now - tOff[s]!;
          frameShapes[e] = poolBit + 2 * (s * PRICES + v);
          o = writeTime(out, o, tOff[s]!);
          for (let p = 0; p < Q_PART.length; p++) out[o++] = Q_PART[p]!;
          o = writeUint(out, o, ++seqs[k]!);
          const trft = trftOff[s]!;
          if (trft >= 0) {
            for (let p = at[j + 3]!, end = at[j + 4]!; p < end; p++)
              out[o++] = bytes[p]!;
            o = writeTime(out, o, trft);
          }
          out[o++] = 125; // }
          frameEnds[e] = o;
        }
        out[o++] = 93; // ]
        const frame = Buffer.allocUnsafe(o);
        frame.set(out.subarray(0, o));
        sink(frame, count);
      }
    },
  };
  return gen;
}
