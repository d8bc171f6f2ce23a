/**
 * The cost benchmark's feeder: an independent process that pre-generates a
 * trade stream and its oracle, then speaks the Polygon stocks WebSocket
 * protocol (`connected`, `auth` → `auth_success`, `subscribe` → `success`)
 * and, on `POST /start`, streams the same frames to every client subscribed
 * at that moment: paced at FEEDER_RATE, or (`{"pace": "full"}`) as fast as
 * the slowest client reads them. Generating everything first keeps the
 * feeder's own CPU out of the consumers' way while they are measured.
 *
 * Env: HTTP_PORT, FEEDER_TRADES, FEEDER_RATE (trades/s), FEEDER_FRAME_MAX,
 * FEEDER_SEED, FEEDER_ORACLE_FILE (written before the port opens).
 * Endpoints: GET /healthz, GET /stats, POST /start; WebSocket on /stocks.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
import { generateFeed } from './feeder-frames.js';

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0)
    throw new Error(`${name} must be a positive number`);
  return v;
};

const port = Number(process.env.HTTP_PORT ?? 0);
const rate = num('FEEDER_RATE', 300_000);
const generatedAt = Date.now();
const feed = generateFeed({
  trades: num('FEEDER_TRADES', 2_000_000),
  rate,
  frameMax: num('FEEDER_FRAME_MAX', 50),
  seed: num('FEEDER_SEED', 42),
  startMs: generatedAt,
});
writeFileSync(
  process.env.FEEDER_ORACLE_FILE ?? 'oracle.json',
  JSON.stringify({
    trades: feed.trades,
    frames: feed.frames.length,
    bytes: feed.bytes,
    generateMs: Date.now() - generatedAt,
    expected: [...feed.expected],
  }),
);

const status = (s: string, message: string) =>
  JSON.stringify([{ ev: 'status', status: s, message }]);

const clients = new Map<WebSocket, { authed: boolean; subscribed: boolean }>();
const st = {
  streams: 0,
  streaming: false,
  startedAt: 0,
  finishedAt: 0,
  sentTrades: 0,
  sentFrames: 0,
  targets: 0,
  maxBufferedBytes: 0,
  pace: 'paced' as Pace,
};

/** How a stream is sent: at the configured rate, or as fast as it is read. */
type Pace = 'paced' | 'full';

/**
 * Full speed means the reader sets the pace: ws's send callback fires once
 * the frame is handed to the kernel, so keeping a bounded number of frames
 * in flight sends exactly as fast as the socket drains — a consumer that
 * falls behind holds the feeder back instead of piling frames in memory.
 */
const FULL_SPEED_IN_FLIGHT = 64;

function stream(targets: WebSocket[], pace: Pace): void {
  st.streams++;
  st.streaming = true;
  st.pace = pace;
  st.startedAt = Date.now();
  st.finishedAt = 0;
  st.sentTrades = 0;
  st.sentFrames = 0;
  st.targets = targets.length;
  st.maxBufferedBytes = 0;
  let f = 0;
  const finish = () => {
    st.finishedAt = Date.now();
    st.streaming = false;
  };
  const sendNext = (onWritten?: () => void) => {
    const frame = feed.frames[f]!;
    for (const ws of targets)
      if (ws.readyState === WebSocket.OPEN)
        ws.send(frame, { binary: false }, onWritten);
      else onWritten?.();
    st.sentTrades += feed.counts[f]!;
    st.sentFrames++;
    f++;
  };
  const noteBuffered = () => {
    for (const ws of targets)
      if (ws.bufferedAmount > st.maxBufferedBytes)
        st.maxBufferedBytes = ws.bufferedAmount;
  };
  if (pace === 'full') {
    let inFlight = 0;
    const written = () => {
      inFlight--;
      if (f === feed.frames.length) {
        if (inFlight === 0) finish();
        return;
      }
      pump();
    };
    const pump = () => {
      while (f < feed.frames.length && inFlight < FULL_SPEED_IN_FLIGHT) {
        inFlight += targets.length;
        sendNext(written);
      }
      noteBuffered();
    };
    pump();
    return;
  }
  const t0 = performance.now();
  const tick = () => {
    const due = ((performance.now() - t0) * rate) / 1000;
    while (f < feed.frames.length && st.sentTrades + feed.counts[f]! <= due)
      sendNext();
    noteBuffered();
    if (f < feed.frames.length) setTimeout(tick, 1);
    else finish();
  };
  tick();
}

const server = createServer((req, res) => {
  const reply = (code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/healthz') return reply(200, { ok: true });
  if (req.url === '/stats')
    return reply(200, {
      ...st,
      subscribed: [...clients.values()].filter(c => c.subscribed).length,
      trades: feed.trades,
      frames: feed.frames.length,
    });
  if (req.url === '/start' && req.method === 'POST') {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (st.streaming) return reply(409, { error: 'already streaming' });
      const targets = [...clients].filter(([, c]) => c.subscribed);
      if (targets.length === 0)
        return reply(409, { error: 'nobody subscribed' });
      let pace: unknown = 'paced';
      try {
        pace = (JSON.parse(body || '{}') as { pace?: unknown }).pace ?? pace;
      } catch {
        return reply(400, { error: 'body is not JSON' });
      }
      if (pace !== 'paced' && pace !== 'full')
        return reply(400, { error: 'pace must be "paced" or "full"' });
      stream(
        targets.map(([ws]) => ws),
        pace,
      );
      reply(200, { startedAt: st.startedAt, targets: targets.length });
    });
    return;
  }
  reply(404, { error: 'not found' });
});

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
  if (!req.url?.startsWith('/stocks')) return socket.destroy();
  wss.handleUpgrade(req, socket, head, ws => {
    const c = { authed: false, subscribed: false };
    clients.set(ws, c);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', data => {
      let msg: { action?: unknown; params?: unknown };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        ws.send(status('error', 'invalid message'));
        return;
      }
      if (msg.action === 'auth') {
        c.authed = typeof msg.params === 'string' && msg.params !== '';
        ws.send(
          c.authed
            ? status('auth_success', 'authenticated')
            : status('auth_failed', 'authentication failed'),
        );
      } else if (msg.action === 'subscribe' && c.authed) {
        c.subscribed = true;
        ws.send(
          JSON.stringify(
            String(msg.params)
              .split(',')
              .map(p => ({
                ev: 'status',
                status: 'success',
                message: `subscribed to: ${p.trim()}`,
              })),
          ),
        );
      } else ws.send(status('error', 'not authenticated'));
    });
    ws.send(status('connected', 'Connected Successfully'));
  });
});

server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  for (const ws of clients.keys()) ws.terminate();
  server.close();
  process.exit(0);
});
