/**
 * The cost benchmark's yardstick: the least a Polygon consumer can do. It
 * connects, authenticates, subscribes to `T.*` and `JSON.parse`s every
 * frame, counting trades — nothing else. Its CPU per trade is what ingest
 * is compared with.
 *
 * Run as its own process. Env: WS_URL, TRADES (the stream's length),
 * STATS_FILE (JSON: trades, frames, subscribed, lastAt — the wall time the
 * last trade arrived).
 */
import { renameSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';

const total = Number(process.env.TRADES);
const statsFile = process.env.STATS_FILE!;
const stats = { trades: 0, frames: 0, subscribed: false, lastAt: 0 };

// Write-then-rename, so the bench never reads a half-written file.
const writeStats = () => {
  writeFileSync(`${statsFile}.tmp`, JSON.stringify(stats));
  renameSync(`${statsFile}.tmp`, statsFile);
};

const ws = new WebSocket(process.env.WS_URL!, { perMessageDeflate: false });
ws.on('message', (data: Buffer) => {
  const events = JSON.parse(data.toString()) as {
    ev: string;
    status?: string;
  }[];
  stats.frames++;
  for (const e of events) {
    if (e.ev === 'T') stats.trades++;
    else if (e.ev === 'status') {
      if (e.status === 'connected')
        ws.send(JSON.stringify({ action: 'auth', params: 'bare-client' }));
      else if (e.status === 'auth_success')
        ws.send(JSON.stringify({ action: 'subscribe', params: 'T.*' }));
      else if (e.status === 'success') {
        stats.subscribed = true;
        writeStats();
      }
    }
  }
  if (stats.trades >= total && stats.lastAt === 0) {
    stats.lastAt = Date.now();
    writeStats();
  }
});
ws.on('error', err => {
  console.error(`bare client: ${err.message}`);
  process.exit(1);
});
process.on('SIGTERM', () => {
  writeStats();
  ws.terminate();
  process.exit(0);
});
