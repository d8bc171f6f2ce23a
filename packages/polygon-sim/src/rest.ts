import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Print, PrintHistory } from './history.js';

/** REST paths the simulator serves (the same as Polygon/Massive). */
export const SNAPSHOT_PATH = '/v2/snapshot/locale/us/markets/stocks/tickers';
export const TRADES_PREFIX = '/v3/trades/';

/** Faults a test can make the next REST responses show. */
export const REST_FAULT_KINDS = [
  'rate_limit',
  'server_error',
  'malformed',
  'forbidden',
  'unauthorized',
  'hang',
] as const;
export type RestFaultKind = (typeof REST_FAULT_KINDS)[number];
export type RestEndpoint = 'snapshot' | 'trades';

/** The REST side of the simulator. */
export interface SimRest {
  /** Answers a request for a REST path; false when the path is not one. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The next `count` requests (to `endpoint`, or to either) fail with `kind`. */
  injectFault(
    kind: RestFaultKind,
    count: number,
    endpoint?: RestEndpoint,
  ): void;
  /** Requests answered, by `"<endpoint> <status>"` (status `malformed`/`hang` for those faults). */
  readonly requests: Record<string, number>;
  /** Ends any request held open by a `hang` fault. */
  close(): void;
}

const MAX_LIMIT = 50_000;
const NS_RE = /^\d{1,20}$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

interface Range {
  gte?: bigint;
  gt?: bigint;
  lte?: bigint;
  lt?: bigint;
}

interface Cursor {
  range: Record<keyof Range, string | undefined>;
  desc: boolean;
  limit: number;
  /** The last print returned: its ns and seq (the order's tie-break). */
  after: [string, number];
}

class BadRequest extends Error {}

/** A nanosecond bound: ns digits, or a date (its midnight UTC; `lte` of a date = the day's end). */
function parseBound(v: string, endOfDay: boolean): bigint {
  if (NS_RE.test(v)) return BigInt(v);
  if (DATE_RE.test(v) && !Number.isNaN(Date.parse(v))) {
    const start = BigInt(Date.parse(v)) * 1_000_000n;
    return endOfDay ? start + 86_400_000_000_000n - 1n : start;
  }
  throw new BadRequest(`invalid timestamp '${v}'`);
}

function inRange(ns: bigint, r: Range): boolean {
  return (
    (r.gte === undefined || ns >= r.gte) &&
    (r.gt === undefined || ns > r.gt) &&
    (r.lte === undefined || ns <= r.lte) &&
    (r.lt === undefined || ns < r.lt)
  );
}

/** Order by SIP time, ties by sequence number. */
function compare(a: Print, b: Print): number {
  if (a.sipNs !== b.sipNs) return a.sipNs < b.sipNs ? -1 : 1;
  return a.seq - b.seq;
}

const conds = (c: readonly number[] | undefined) =>
  c ? `"conditions":[${c.join(',')}],` : '';

// Nanosecond fields are written as raw JSON integers, as Polygon does: they
// exceed 2^53, so the client must not read them through a float.
function tradeJson(p: Print): string {
  const trf =
    p.trfId !== undefined
      ? `,"trf_id":${p.trfId},"trf_timestamp":${p.sipNs}`
      : '';
  return `{${conds(p.conditions)}"exchange":${p.exchange},"id":"${p.id}","participant_timestamp":${p.sipNs},"price":${p.price},"sequence_number":${p.seq},"sip_timestamp":${p.sipNs},"size":${p.size},"tape":1${trf}}`;
}

function lastTradeJson(p: Print): string {
  const c = p.conditions ? `"c":[${p.conditions.join(',')}],` : '';
  return `{${c}"i":"${p.id}","p":${p.price},"s":${p.size},"t":${p.sipNs},"x":${p.exchange}}`;
}

/**
 * Creates the REST handler over the simulator's print history: the
 * full-market snapshot (each ticker's `lastTrade` is its print with the
 * greatest SIP time) and `/v3/trades/{ticker}` (filters, order, limit,
 * `next_url` with an opaque cursor, pages of at most `pageSize`). Auth by
 * `apiKey` query parameter or `Authorization: Bearer` against `keys` (empty =
 * any non-empty key); a wrong or missing key gets Polygon's 401 body.
 */
export function createSimRest(opts: {
  history: PrintHistory;
  symbols: readonly string[];
  keys: ReadonlySet<string>;
  pageSize: number;
}): SimRest {
  const { history } = opts;
  const faults: { kind: RestFaultKind; endpoint?: RestEndpoint }[] = [];
  const requests: Record<string, number> = {};
  const hung = new Set<ServerResponse>();
  let requestId = 0;

  const count = (endpoint: RestEndpoint, status: number | string) => {
    const k = `${endpoint} ${status}`;
    requests[k] = (requests[k] ?? 0) + 1;
  };

  const send = (
    res: ServerResponse,
    endpoint: RestEndpoint,
    status: number,
    body: string,
  ) => {
    count(endpoint, status);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };

  const error = (
    res: ServerResponse,
    endpoint: RestEndpoint,
    status: number,
    st: string,
    message: string,
  ) =>
    send(
      res,
      endpoint,
      status,
      JSON.stringify({
        status: st,
        request_id: `sim-${++requestId}`,
        error: message,
      }),
    );

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    const header = req.headers.authorization;
    const key =
      url.searchParams.get('apiKey') ??
      (header?.startsWith('Bearer ') ? header.slice(7).trim() : '');
    return key !== '' && (opts.keys.size === 0 || opts.keys.has(key));
  };

  const takeFault = (endpoint: RestEndpoint): RestFaultKind | undefined => {
    const i = faults.findIndex(f => !f.endpoint || f.endpoint === endpoint);
    return i < 0 ? undefined : faults.splice(i, 1)[0]!.kind;
  };

  const snapshot = (url: URL): string => {
    const only = url.searchParams.get('tickers');
    const wanted = only ? only.split(',').filter(Boolean) : undefined;
    const parts: string[] = [];
    const indices = wanted
      ? wanted.map(s => history.indexOf(s)).filter(k => k !== undefined)
      : opts.symbols.map((_, k) => k);
    for (const k of indices) {
      const last = history.last(k);
      if (!last) continue;
      parts.push(
        `{"ticker":"${last.sym}","updated":${last.sipNs},"lastTrade":${lastTradeJson(last)}}`,
      );
    }
    return `{"status":"OK","request_id":"sim-${++requestId}","count":${parts.length},"tickers":[${parts.join(',')}]}`;
  };

  const trades = (url: URL, ticker: string, host: string): string => {
    let c: Cursor;
    const raw = url.searchParams.get('cursor');
    if (raw) {
      try {
        c = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Cursor;
      } catch {
        throw new BadRequest('invalid cursor');
      }
    } else {
      const q = url.searchParams;
      const eq = q.get('timestamp') ?? undefined;
      const order = q.get('order') ?? 'desc';
      if (order !== 'asc' && order !== 'desc')
        throw new BadRequest(`invalid order '${order}'`);
      const limit = Number(q.get('limit') ?? 1000);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
        throw new BadRequest(`limit must be 1..${MAX_LIMIT}`);
      const bound = (name: string, end: boolean) => {
        const v = q.get(`timestamp.${name}`);
        return v === null ? undefined : String(parseBound(v, end));
      };
      c = {
        range: {
          gte: bound('gte', false) ?? (eq && String(parseBound(eq, false))),
          gt: bound('gt', true),
          lte: bound('lte', true) ?? (eq && String(parseBound(eq, true))),
          lt: bound('lt', false),
        },
        desc: order === 'desc',
        limit,
        after: ['', 0],
      };
    }
    const range: Range = {};
    for (const key of ['gte', 'gt', 'lte', 'lt'] as const) {
      const v = c.range[key];
      if (v !== undefined) range[key] = BigInt(v);
    }
    const k = history.indexOf(ticker);
    const all = (k === undefined ? [] : history.prints(k))
      .filter(p => inRange(p.sipNs, range))
      .sort(compare);
    if (c.desc) all.reverse();
    let start = 0;
    if (c.after[0] !== '') {
      const after = {
        sipNs: BigInt(c.after[0]),
        seq: c.after[1],
      } as Print;
      start = all.findIndex(p =>
        c.desc ? compare(p, after) < 0 : compare(p, after) > 0,
      );
      if (start < 0) start = all.length;
    }
    const size = Math.min(c.limit, opts.pageSize);
    const page = all.slice(start, start + size);
    let next = '';
    if (start + size < all.length && page.length > 0) {
      const last = page[page.length - 1]!;
      const cursor: Cursor = { ...c, after: [String(last.sipNs), last.seq] };
      next = `,"next_url":"http://${host}${TRADES_PREFIX}${encodeURIComponent(ticker)}?cursor=${Buffer.from(JSON.stringify(cursor)).toString('base64url')}"`;
    }
    return `{"status":"OK","request_id":"sim-${++requestId}","results":[${page.map(tradeJson).join(',')}]${next}}`;
  };

  return {
    requests,
    injectFault(kind, n, endpoint) {
      for (let j = 0; j < n; j++) faults.push({ kind, endpoint });
    },
    close() {
      for (const res of hung) res.destroy();
      hung.clear();
    },
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://sim');
      let endpoint: RestEndpoint;
      if (url.pathname === SNAPSHOT_PATH) endpoint = 'snapshot';
      else if (url.pathname.startsWith(TRADES_PREFIX)) endpoint = 'trades';
      else return false;
      if (req.method !== 'GET') {
        error(res, endpoint, 405, 'ERROR', 'method not allowed');
        return true;
      }
      if (!authorized(req, url)) {
        error(res, endpoint, 401, 'ERROR', 'Unknown API Key');
        return true;
      }
      switch (takeFault(endpoint)) {
        case 'rate_limit':
          error(
            res,
            endpoint,
            429,
            'ERROR',
            'You have exceeded the maximum requests per minute.',
          );
          return true;
        case 'server_error':
          error(res, endpoint, 500, 'ERROR', 'internal error');
          return true;
        case 'forbidden':
          error(
            res,
            endpoint,
            403,
            'NOT_AUTHORIZED',
            'You are not entitled to this data.',
          );
          return true;
        case 'unauthorized':
          error(res, endpoint, 401, 'ERROR', 'Unknown API Key');
          return true;
        case 'malformed':
          count(endpoint, 'malformed');
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"status":"OK","results":[{"sip_timestamp":17');
          return true;
        case 'hang':
          count(endpoint, 'hang');
          hung.add(res);
          res.on('close', () => hung.delete(res));
          return true;
        case undefined:
      }
      try {
        if (endpoint === 'snapshot') send(res, endpoint, 200, snapshot(url));
        else {
          const ticker = decodeURIComponent(
            url.pathname.slice(TRADES_PREFIX.length),
          );
          const host = req.headers.host ?? '127.0.0.1';
          send(res, endpoint, 200, trades(url, ticker, host));
        }
      } catch (err) {
        if (!(err instanceof BadRequest)) throw err;
        error(res, endpoint, 400, 'ERROR', err.message);
      }
      return true;
    },
  };
}
