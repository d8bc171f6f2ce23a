import { seededRandom } from '@tickpulse/random';

// The heaviest names in a real feed come first (rank decides trade share).
const WELL_KNOWN = [
  'SPY',
  'NVDA',
  'TSLA',
  'AAPL',
  'QQQ',
  'AMD',
  'AMZN',
  'MSFT',
  'META',
  'PLTR',
  'SOXL',
  'TQQQ',
  'IWM',
  'GOOGL',
  'INTC',
  'F',
  'BAC',
  'SQQQ',
  'SMCI',
  'MARA',
  'NIO',
  'AAL',
  'SOFI',
  'T',
  'PFE',
  'GOOG',
  'XLF',
  'RIVN',
  'COIN',
  'MU',
  'NFLX',
  'AVGO',
  'JPM',
  'BRK.B',
  'BF.B',
  'WMT',
  'KO',
  'DIS',
  'BA',
  'XOM',
  'C',
  'WFC',
  'GE',
  'UBER',
  'SHOP',
  'HOOD',
  'CCL',
  'LCID',
  'VALE',
  'ITUB',
];

/** One simulated listing. */
export interface SimTicker {
  sym: string;
  /** Tape: 1 = A (NYSE), 2 = B (Arca/regional), 3 = C (Nasdaq). */
  tape: number;
  price: number;
  seq: number;
}

/**
 * A deterministic universe of `count` symbols (well-known names first, then
 * generated 1–5 letter symbols, a few share classes) with Zipf-like trade
 * shares: the first names trade far more often than the tail, as in a real
 * feed.
 */
export function createUniverse(count: number, seed = 42): SimTicker[] {
  const rnd = seededRandom(seed);
  const out: SimTicker[] = [];
  const seen = new Set<string>();
  const add = (sym: string) => {
    if (seen.has(sym)) return;
    seen.add(sym);
    const price = Math.round(Math.exp(rnd() * 6.5) * 100) / 100 + 0.5;
    out.push({ sym, tape: 1 + Math.floor(rnd() * 3), price, seq: 0 });
  };
  for (const s of WELL_KNOWN) {
    if (out.length >= count) break;
    add(s);
  }
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  while (out.length < count) {
    const len = 1 + Math.floor(rnd() * 5);
    let sym = '';
    for (let k = 0; k < len; k++) sym += letters[Math.floor(rnd() * 26)];
    const r = rnd();
    if (r < 0.02) sym += '.A';
    else if (r < 0.03) sym += '-B';
    else if (r < 0.035) sym += 'W';
    add(sym);
  }
  return out;
}

/** Whether the simulated trades are printed in regular or extended hours. */
export type SessionMode = 'auto' | 'regular' | 'extended';

const etHour = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hour: 'numeric',
  minute: 'numeric',
  hourCycle: 'h23',
  weekday: 'short',
});

/** True between 09:30 and 16:00 New York time on a weekday. */
export function isRegularHours(ms: number): boolean {
  const parts = etHour.formatToParts(ms);
  const get = (t: string) => parts.find(p => p.type === t)?.value ?? '';
  const day = get('weekday');
  if (day === 'Sat' || day === 'Sun') return false;
  const minutes = Number(get('hour')) * 60 + Number(get('minute'));
  return minutes >= 9 * 60 + 30 && minutes < 16 * 60;
}

/** One generated trade: its ticker (for per-ticker subscriptions) and its JSON. */
export interface GeneratedTrade {
  sym: string;
  json: string;
}

// Exchanges weighted roughly like US volume: ~40 % off-exchange (FINRA ADF / TRF, x:4).
const EXCHANGES: [number, number][] = [
  [4, 40],
  [12, 14],
  [11, 9],
  [10, 7],
  [19, 6],
  [15, 5],
  [21, 4],
  [8, 3],
  [1, 3],
  [7, 3],
  [17, 2],
  [18, 2],
  [62, 2],
];
const EXCHANGE_TABLE: number[] = EXCHANGES.flatMap(([x, w]) =>
  Array(w).fill(x),
);

/** One drawn trade, before serialisation (see `createTradeDrawer`). */
export interface DrawnTrade {
  /** Index of the ticker in the universe. */
  k: number;
  x: number;
  p: number;
  s: number;
  /** `ds` when present (fractional-size field of some odd lots). */
  ds: string | undefined;
  conds: number[];
  t: number;
  /** TRF id and time for off-exchange prints (x:4), else -1. */
  trfi: number;
  trft: number;
}

/**
 * The trade distribution behind both `createTradeGenerator` and
 * `createFrameGenerator`, so the two cannot drift apart.
 *
 * @internal
 */
export function createTradeDrawer(opts: {
  tickers: SimTicker[];
  seed?: number;
  session?: SessionMode;
}) {
  const rnd = seededRandom(opts.seed ?? 7);
  const tickers = opts.tickers;
  // Zipf(1) cumulative weights for ticker choice.
  const cum = new Float64Array(tickers.length);
  let total = 0;
  for (let k = 0; k < tickers.length; k++) {
    total += 1 / (k + 1);
    cum[k] = total;
  }
  const ssr = new Set<number>();
  for (let k = 0; k < tickers.length; k++) if (rnd() < 0.02) ssr.add(k);
  let regularCache = { at: 0, regular: true };

  const pickTicker = (): number => {
    const x = rnd() * total;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const regular = (now: number): boolean => {
    if (opts.session === 'regular') return true;
    if (opts.session === 'extended') return false;
    if (now - regularCache.at > 1000)
      regularCache = { at: now, regular: isRegularHours(now) };
    return regularCache.regular;
  };

  /** One trade of ticker `k` at wall-clock time `now`, in the given session. */
  const draw = (k: number, now: number, isRegular: boolean): DrawnTrade => {
    const tk = tickers[k]!;
    const x = EXCHANGE_TABLE[Math.floor(rnd() * EXCHANGE_TABLE.length)]!;
    tk.price = Math.max(0.01, tk.price * (1 + (rnd() - 0.5) * 0.0008));
    const p =
      tk.price >= 1
        ? Math.round(tk.price * 100) / 100
        : Math.round(tk.price * 10000) / 10000;
    const conds: number[] = [];
    let size: number;
    const r = rnd();
    if (r < 0.5) {
      size = 1 + Math.floor(rnd() * 99);
      conds.push(37);
    } else {
      size = 100 * (1 + Math.floor(rnd() * rnd() * 20));
      const c = rnd();
      if (c < 0.1) conds.push(14, 41);
      else if (c < 0.16) conds.push(14);
      else if (c < 0.19) conds.push(41);
      else if (c < 0.2) conds.push(2);
      else if (c < 0.203) conds.push(7);
      else if (c < 0.208) conds.push(10);
      else if (c < 0.212) conds.push(22);
      else if (c < 0.218) conds.push(52);
      else if (c < 0.222) conds.push(53);
      else if (c < 0.223) conds.push(rnd() < 0.5 ? 15 : 16);
    }
    if (!isRegular) conds.unshift(12);
    if (ssr.has(k)) conds.push(60);
    let t = now - Math.floor(rnd() * 3);
    let trfi = -1;
    let trft = -1;
    if (x === 4) {
      if (rnd() < 0.002) t = now - 1000 - Math.floor(rnd() * 119_000);
      else t -= Math.floor(rnd() * 40);
      trfi = 201 + Math.floor(rnd() * 3);
      trft = t - Math.floor(rnd() * 5);
    }
    const ds = size < 100 && rnd() < 0.3 ? String(size) : undefined;
    return { k, x, p, s: size, ds, conds, t, trfi, trft };
  };

  return { rnd, pickTicker, regular, draw };
}

/**
 * A realistic trade generator. Condition mix (per trade): about half odd lots
 * [37]; round lots mostly regular (no `c`), with intermarket sweeps [14] and
 * [14,41], some [41], and rare [2], [7], [10], [22], [52], [53], [15]/[16];
 * out of regular hours every print also carries Form T [12]; a few tickers
 * carry the short-sale-restriction indicator [60]. Off-exchange prints (x:4)
 * carry `trfi`/`trft`, and a few are late (up to 2 minutes old).
 *
 * One object and one JSON string per trade: fine for tools and recorded
 * frames; the simulator's rate mode uses the much cheaper
 * `createFrameGenerator` (same distribution).
 */
export function createTradeGenerator(opts: {
  tickers: SimTicker[];
  seed?: number;
  session?: SessionMode;
}) {
  const tickers = opts.tickers;
  const d = createTradeDrawer(opts);
  let tradeId = 1;

  return {
    /** One trade at wall-clock time `now`. */
    next(now: number): GeneratedTrade {
      const k = d.pickTicker();
      const tr = d.draw(k, now, d.regular(now));
      const tk = tickers[k]!;
      const trf = tr.trfi >= 0 ? `,"trfi":${tr.trfi},"trft":${tr.trft}` : '';
      const ds = tr.ds !== undefined ? `,"ds":"${tr.ds}"` : '';
      const c = tr.conds.length > 0 ? `,"c":[${tr.conds.join(',')}]` : '';
      const json = `{"ev":"T","sym":"${tk.sym}","x":${tr.x},"i":"${tradeId++}","z":${tk.tape},"p":${tr.p},"s":${tr.s}${ds}${c},"t":${tr.t},"q":${++tk.seq}${trf}}`;
      return { sym: tk.sym, json };
    },
  };
}
