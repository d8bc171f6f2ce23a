/**
 * The existing Go backend's tick path, rebuilt for comparison: one
 * WebSocket read loop that, for every eligible trade, awaits
 * `ZADD TICK:UPD <ms> <ticker>` before reading on. The socket is paused
 * while frames wait, so — as with Go's blocking read loop — a slow loop
 * pushes back on the sender instead of buffering without bound.
 *
 * Run as its own process by the baseline benchmark. Env: WS_URL,
 * REDIS_URL, KEY (the TICK:UPD key, prefixed), STATS_FILE.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import WebSocket from 'ws';

// The Go backend's shouldUpdatePrice exclusions (the `backend` policy).
const EXCLUDED = new Set([2, 7, 13, 20, 21, 37, 52, 53]);

const wsUrl = process.env.WS_URL!;
const key = process.env.KEY ?? 'TICK:UPD';
const statsFile = process.env.STATS_FILE!;
const redis = new Redis(process.env.REDIS_URL!, { protocol: 2 });

const stats = {
  frames: 0,
  trades: 0,
  eligible: 0,
  zadds: 0,
  closed: false,
  closeCode: 0,
};
const queue: Buffer[] = [];
let draining = false;
const ws = new WebSocket(wsUrl, { perMessageDeflate: false });

async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  while (queue.length > 0) {
    const frame = queue.shift()!;
    const events = JSON.parse(frame.toString('utf8')) as {
      ev: string;
      sym?: string;
      t?: number;
      c?: number[];
    }[];
    stats.frames++;
    for (const e of events) {
      if (e.ev !== 'T' || e.sym === undefined || e.t === undefined) continue;
      stats.trades++;
      if (e.c?.some(id => EXCLUDED.has(id))) continue;
      stats.eligible++;
      await redis.zadd(key, e.t, e.sym);
      stats.zadds++;
    }
    if (queue.length < 4 && ws.isPaused) ws.resume();
  }
  draining = false;
}

ws.on('message', (data: Buffer) => {
  const text = data.toString('utf8');
  if (text.includes('"ev":"status"')) {
    if (text.includes('"connected"'))
      ws.send(JSON.stringify({ action: 'auth', params: 'baseline' }));
    else if (text.includes('auth_success'))
      ws.send(JSON.stringify({ action: 'subscribe', params: 'T.*' }));
    return;
  }
  queue.push(data);
  if (queue.length > 16) ws.pause();
  void drain();
});
ws.on('close', code => {
  stats.closed = true;
  stats.closeCode = code;
});
ws.on('error', () => undefined);

// Write-then-rename, so the bench never reads a half-written file.
const writeStats = () => {
  writeFileSync(
    `${statsFile}.tmp`,
    JSON.stringify({ ...stats, at: Date.now() }),
  );
  renameSync(`${statsFile}.tmp`, statsFile);
};
setInterval(writeStats, 250);
process.on('SIGTERM', () => {
  writeStats();
  ws.terminate();
  redis.disconnect();
  process.exit(0);
});
