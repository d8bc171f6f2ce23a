import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { createFrameGenerator } from './frames.js';
import { createPrintHistory, type ScriptedPrint } from './history.js';
import {
  createSimRest,
  type RestEndpoint,
  type RestFaultKind,
} from './rest.js';
import { createUniverse, type SessionMode, type SimTicker } from './stream.js';

/** Simulator settings; every field has a default. */
export interface PolygonSimOptions {
  /** Accepted API keys; empty = any non-empty key. Each key is its own account. */
  apiKeys?: string[];
  /** Generated trades per second; 0 = scripted frames only. */
  rate?: number;
  /** Size of the generated universe. */
  tickers?: number;
  /** Seed of the universe and the trade stream. */
  seed?: number;
  /** Most trades in one frame (Polygon batches many events per frame under load). */
  maxEventsPerFrame?: number;
  /** Generation tick. */
  tickMs?: number;
  /** Regular/extended hours for the condition mix; `auto` follows New York time. */
  session?: SessionMode;
  /** A connection that has not authenticated by then gets `auth_timeout`. */
  authTimeoutMs?: number;
  /** A client this far behind (bytes buffered) is disconnected, as Polygon does with slow consumers. */
  maxBufferedBytes?: number;
  /** WebSocket path. */
  path?: string;
  /** Prints remembered per ticker for the REST endpoints (oldest forgotten first). */
  historyPerTicker?: number;
  /** Most results in one `/v3/trades` page, whatever `limit` asks (small values exercise `next_url`). */
  restPageSize?: number;
}

/** Kinds of malformed frames the simulator can send. */
export const MALFORMED_KINDS = [
  'not_json',
  'not_array',
  'missing_fields',
  'bad_fields',
  'not_object',
  'binary',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** Counters and current state, for tests and the control API. */
export interface SimStats {
  /** Open sockets. */
  connections: number;
  /** Authenticated sockets now. */
  authenticated: number;
  /** Authenticated sockets with at least one subscription now. */
  subscribed: number;
  totalConnections: number;
  authSuccesses: number;
  authFailures: number;
  /** Older connections closed because a newer one authenticated on the same account. */
  evictions: number;
  /** Most authenticated connections one account ever had at once (2 = an eviction happened). */
  maxConcurrentPerAccount: number;
  subscribeMessages: number;
  framesSent: number;
  eventsSent: number;
  pingsReceived: number;
  slowConsumerKills: number;
  rate: number;
  stalled: boolean;
  /** `auth` messages left unanswered while `ignoreAuth` was on. */
  authIgnored: number;
  /** REST requests answered, by `"<endpoint> <status>"`. */
  restRequests: Record<string, number>;
  /** Prints in the REST history now. */
  historyPrints: number;
}

interface Client {
  ws: WebSocket;
  id: number;
  account: string | null;
  subs: Set<string>;
  all: boolean;
  authTimer: NodeJS.Timeout | undefined;
}

/** The simulator: a Polygon stocks WebSocket endpoint plus fault injection. */
export interface PolygonSim {
  /** Serves the WebSocket on an existing HTTP server's `upgrade` (the app's ops server). */
  attach(server: Server): void;
  /** Starts its own HTTP server; returns the port (0 = any free port). */
  listen(port?: number, host?: string): Promise<number>;
  /** The WebSocket URL on the port it listens on. */
  url(): string;
  /** Stops generating, closes every socket and the own server. Idempotent. */
  close(): Promise<void>;
  /** Generated trades per second (0 stops the stream). */
  setRate(rate: number): void;
  /** Abruptly drops every connection (TCP reset, no close frame); returns how many. */
  dropConnections(): number;
  /** Sends `max_connections` then closes 1008, to every authenticated connection. */
  sendMaxConnections(): number;
  /** Sends one malformed frame of the given kind to every subscribed connection. */
  sendMalformed(kind: MalformedKind): number;
  /** Stops sending anything and stops answering pings (or resumes). */
  stall(on: boolean): void;
  /**
   * While on, `auth` messages go unanswered (a server that never answers the
   * auth); the connection then gets `auth_timeout` after `authTimeoutMs`.
   */
  ignoreAuth(on: boolean): void;
  /** Sends exact frames (raw strings, or arrays of events to serialise) to every subscribed connection. */
  sendFrames(frames: (string | unknown[])[]): number;
  /** Sends one status event to every open connection. */
  sendStatus(status: string, message: string): number;
  /** Sends `count` otherwise valid trades timestamped `aheadMs` in the future. */
  sendFutureTrades(count: number, aheadMs: number): number;
  /**
   * Adds prints to the REST history (symbols outside the universe too); with
   * `stream` they are also sent as one trade frame to subscribed clients.
   * Returns how many were recorded.
   */
  addPrints(prints: ScriptedPrint[], stream?: boolean): number;
  /** The next `count` REST requests (to `endpoint`, or either) fail with `kind`. */
  injectRestFault(
    kind: RestFaultKind,
    count?: number,
    endpoint?: RestEndpoint,
  ): void;
  /** Answers a REST request (snapshot, trades); false when the path is not one. */
  handleRest(req: IncomingMessage, res: ServerResponse): boolean;
  stats(): SimStats;
  /** The generated universe (deterministic for a seed). */
  readonly tickers: readonly SimTicker[];
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');
const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

const status = (s: string, message: string) =>
  JSON.stringify([{ ev: 'status', status: s, message }]);

/** Creates a simulator; nothing listens until `attach` or `listen`. */
export function createPolygonSim(opts: PolygonSimOptions = {}): PolygonSim {
  const path = opts.path ?? '/stocks';
  const keys = new Set(opts.apiKeys ?? []);
  const maxPerFrame = opts.maxEventsPerFrame ?? 1000;
  const tickMs = opts.tickMs ?? 20;
  const authTimeoutMs = opts.authTimeoutMs ?? 10_000;
  const maxBuffered = opts.maxBufferedBytes ?? 64 * 1024 * 1024;
  const tickers = createUniverse(opts.tickers ?? 10_000, opts.seed ?? 42);
  const gen = createFrameGenerator({
    tickers,
    seed: (opts.seed ?? 42) + 1,
    session: opts.session,
  });
  const subKeys = tickers.map(t => `T.${t.sym}`);
  const symbols = tickers.map(t => t.sym);
  const history = createPrintHistory({
    symbols,
    perTicker: opts.historyPerTicker ?? 64,
    describe: gen.describe,
  });
  const rest = createSimRest({
    history,
    keys,
    pageSize: opts.restPageSize ?? 50_000,
  });
  const wss = new WebSocketServer({
    noServer: true,
    autoPong: false,
    perMessageDeflate: false,
  });
  const clients = new Set<Client>();
  const accounts = new Map<string, Set<Client>>();
  let nextId = 1;
  let rate = opts.rate ?? 0;
  let stalled = false;
  let authSilent = false;
  let carry = 0;
  let lastTick = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let ownServer: Server | undefined;
  let port = 0;
  let closing: Promise<void> | undefined;
  const st = {
    totalConnections: 0,
    authSuccesses: 0,
    authFailures: 0,
    evictions: 0,
    maxConcurrentPerAccount: 0,
    subscribeMessages: 0,
    framesSent: 0,
    eventsSent: 0,
    pingsReceived: 0,
    slowConsumerKills: 0,
    authIgnored: 0,
  };

  // Generated frames are Buffers but go out as text frames, as Polygon's do.
  const send = (
    c: Client,
    frame: string | Buffer,
    events = 0,
    binary = false,
  ): void => {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount > maxBuffered) {
      st.slowConsumerKills++;
      c.ws.terminate();
      return;
    }
    c.ws.send(frame, binary ? BINARY : TEXT);
    st.framesSent++;
    st.eventsSent += events;
  };

  const subscribed = () =>
    [...clients].filter(c => c.account !== null && (c.all || c.subs.size > 0));

  const forget = (c: Client) => {
    clearTimeout(c.authTimer);
    clients.delete(c);
    if (c.account !== null) accounts.get(c.account)?.delete(c);
  };

  const onAuth = (c: Client, key: unknown) => {
    if (c.account !== null) return;
    if (authSilent) {
      st.authIgnored++;
      return;
    }
    const ok =
      typeof key === 'string' &&
      key !== '' &&
      (keys.size === 0 || keys.has(key));
    if (!ok) {
      st.authFailures++;
      send(c, status('auth_failed', 'authentication failed'));
      c.ws.close(1008, 'authentication failed');
      return;
    }
    clearTimeout(c.authTimer);
    const account = key as string;
    let members = accounts.get(account);
    if (!members) accounts.set(account, (members = new Set()));
    members.add(c);
    c.account = account;
    st.authSuccesses++;
    st.maxConcurrentPerAccount = Math.max(
      st.maxConcurrentPerAccount,
      members.size,
    );
    send(c, status('auth_success', 'authenticated'));
    // One connection per account, like Polygon: the newcomer wins, older ones are closed.
    for (const old of members) {
      if (old === c) continue;
      st.evictions++;
      members.delete(old);
      send(
        old,
        status(
          'max_connections',
          'Maximum number of websocket connections exceeded. You have reached the connection limit for your account.',
        ),
      );
      old.ws.close(1008, 'max_connections');
    }
  };

  const onMessage = (c: Client, data: RawData) => {
    let msg: { action?: unknown; params?: unknown };
    try {
      msg = JSON.parse(data.toString());
    } catch {
      send(c, status('error', 'invalid message'));
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    if (msg.action === 'auth') return onAuth(c, msg.params);
    if (msg.action !== 'subscribe' && msg.action !== 'unsubscribe') {
      send(c, status('error', 'unknown action'));
      return;
    }
    if (c.account === null) {
      send(c, status('error', 'not authenticated'));
      return;
    }
    if (typeof msg.params !== 'string') return;
    if (msg.action === 'subscribe') st.subscribeMessages++;
    const events = [];
    for (const raw of msg.params.split(',')) {
      const param = raw.trim();
      if (!param) continue;
      if (msg.action === 'subscribe') {
        if (param === 'T.*') c.all = true;
        else c.subs.add(param);
        events.push({
          ev: 'status',
          status: 'success',
          message: `subscribed to: ${param}`,
        });
      } else {
        if (param === 'T.*') c.all = false;
        else c.subs.delete(param);
        events.push({
          ev: 'status',
          status: 'success',
          message: `unsubscribed to: ${param}`,
        });
      }
    }
    if (events.length > 0) send(c, JSON.stringify(events));
  };

  wss.on('connection', (ws: WebSocket) => {
    const c: Client = {
      ws,
      id: nextId++,
      account: null,
      subs: new Set(),
      all: false,
      authTimer: undefined,
    };
    clients.add(c);
    st.totalConnections++;
    c.authTimer = setTimeout(() => {
      if (c.account === null) {
        send(c, status('auth_timeout', 'No authentication request received.'));
        ws.close(1008, 'auth timeout');
      }
    }, authTimeoutMs);
    c.authTimer.unref();
    ws.on('message', data => onMessage(c, data));
    ws.on('ping', data => {
      st.pingsReceived++;
      if (!stalled) ws.pong(data);
    });
    ws.on('close', () => forget(c));
    ws.on('error', () => forget(c));
    send(c, status('connected', 'Connected Successfully'));
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname !== path) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, ws => wss.emit('connection', ws, req));
  };

  const tick = () => {
    const now = Date.now();
    const elapsed = now - lastTick;
    lastTick = now;
    if (rate <= 0 || stalled) {
      carry = 0;
      return;
    }
    const targets = subscribed();
    carry += (rate * elapsed) / 1000;
    // Never build more than 1 s of backlog in one tick (after a pause or a slow tick).
    const n = Math.min(Math.floor(carry), Math.ceil(rate));
    carry -= Math.floor(carry);
    let all = true;
    for (const c of targets) if (!c.all) all = false;
    // Generated with nobody connected too: the market goes on during a
    // client's gap, and the REST history is what heals it.
    gen.generate(n, now, maxPerFrame, (frame, size) => {
      for (let e = 0; e < size; e++)
        history.recordGenerated(
          gen.frameTickers[e]!,
          gen.frameTimes[e]!,
          gen.frameIds[e]!,
          gen.frameShapes[e]!,
        );
      if (all) {
        for (const c of targets) send(c, frame, size);
        return;
      }
      for (const c of targets) {
        if (c.all) send(c, frame, size);
        else sendMine(c, frame, size);
      }
    });
  };

  /** The trades of a generated frame that a per-ticker subscriber asked for. */
  const sendMine = (c: Client, frame: Buffer, size: number): void => {
    const parts: Buffer[] = [];
    for (let e = 0; e < size; e++) {
      if (!c.subs.has(subKeys[gen.frameTickers[e]!]!)) continue;
      parts.push(
        parts.length === 0 ? OPEN : COMMA,
        frame.subarray(gen.frameStarts[e], gen.frameEnds[e]),
      );
    }
    if (parts.length === 0) return;
    parts.push(CLOSE);
    send(c, Buffer.concat(parts), (parts.length - 1) / 2);
  };

  const ensureTimer = () => {
    if (timer) return;
    lastTick = Date.now();
    timer = setInterval(tick, tickMs);
    timer.unref();
  };

  const toSubscribed = (frame: string | Buffer, events = 0): number => {
    const targets = subscribed();
    const binary = typeof frame !== 'string';
    for (const c of targets) send(c, frame, events, binary);
    return targets.length;
  };

  const malformed = (kind: MalformedKind): string | Buffer => {
    const t = Date.now();
    switch (kind) {
      case 'not_json':
        return `[{"ev":"T","sym":"AAPL","t":${t}`;
      case 'not_array':
        return `{"ev":"T","sym":"AAPL","x":4,"p":1,"s":1,"t":${t}}`;
      case 'missing_fields':
        return '[{"ev":"T","sym":"AAPL","x":4},{"ev":"T","t":1}]';
      case 'bad_fields':
        return `[{"ev":"T","sym":42,"t":${t}},{"ev":"T","sym":"AAPL","t":"${t}"},{"ev":"T","sym":"AAPL","t":${t},"c":"37"}]`;
      case 'not_object':
        return '[1,"T",null]';
      case 'binary':
        return Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    }
  };

  const sim: PolygonSim = {
    tickers,
    attach(server) {
      server.on('upgrade', onUpgrade);
      ensureTimer();
    },
    async listen(p = 0, host = '127.0.0.1') {
      const server = createServer((req, res) => {
        if (rest.handle(req, res)) return;
        res.statusCode = 404;
        res.end();
      });
      ownServer = server;
      sim.attach(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(p, host, () => resolve());
      });
      const addr = server.address();
      port = typeof addr === 'object' && addr ? addr.port : p;
      return port;
    },
    url: () => `ws://127.0.0.1:${port}${path}`,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        rest.close();
        for (const c of clients) c.ws.terminate();
        clients.clear();
        await new Promise<void>(resolve => wss.close(() => resolve()));
        if (ownServer) {
          const s = ownServer;
          s.closeAllConnections();
          await new Promise<void>(resolve => s.close(() => resolve()));
        }
      })();
      return closing;
    },
    setRate(r) {
      rate = Math.max(0, r);
      carry = 0;
    },
    dropConnections() {
      const n = clients.size;
      for (const c of [...clients]) c.ws.terminate();
      return n;
    },
    sendMaxConnections() {
      let n = 0;
      for (const c of [...clients]) {
        if (c.account === null) continue;
        n++;
        send(
          c,
          status(
            'max_connections',
            'Maximum number of websocket connections exceeded.',
          ),
        );
        c.ws.close(1008, 'max_connections');
      }
      return n;
    },
    sendMalformed: kind => toSubscribed(malformed(kind)),
    stall(on) {
      stalled = on;
    },
    ignoreAuth(on) {
      authSilent = on;
    },
    sendFrames(frames) {
      let sent = 0;
      for (const f of frames) {
        const text = typeof f === 'string' ? f : JSON.stringify(f);
        sent = toSubscribed(text, Array.isArray(f) ? f.length : 0);
      }
      return sent;
    },
    sendStatus(s, message) {
      for (const c of clients) send(c, status(s, message));
      return clients.size;
    },
    sendFutureTrades(count, aheadMs) {
      const t = Date.now() + aheadMs;
      const events = Array.from({ length: count }, (_, k) => ({
        ev: 'T',
        sym: tickers[k % tickers.length]!.sym,
        x: 12,
        i: `f${k}`,
        z: 3,
        p: 10,
        s: 100,
        t,
        q: k + 1,
      }));
      return toSubscribed(JSON.stringify(events), count);
    },
    addPrints(prints, stream = false) {
      const recorded = prints.filter(p => history.recordScripted(p));
      if (stream && recorded.length > 0) {
        const events = recorded.map((p, j) => ({
          ev: 'T',
          sym: p.sym,
          x: p.exchange ?? 11,
          i: `p${j}`,
          z: 1,
          p: p.price ?? 10,
          s: p.size ?? 100,
          ...(p.conditions?.length ? { c: p.conditions } : {}),
          t: Number(BigInt(p.sipNs) / 1_000_000n),
          q: j + 1,
        }));
        toSubscribed(JSON.stringify(events), events.length);
      }
      return recorded.length;
    },
    injectRestFault(kind, count = 1, endpoint) {
      rest.injectFault(kind, count, endpoint);
    },
    handleRest: (req, res) => rest.handle(req, res),
    stats() {
      let authenticated = 0;
      for (const c of clients) if (c.account !== null) authenticated++;
      return {
        connections: clients.size,
        authenticated,
        subscribed: subscribed().length,
        ...st,
        rate,
        stalled,
        restRequests: { ...rest.requests },
        historyPrints: history.size,
      };
    },
  };
  return sim;
}
