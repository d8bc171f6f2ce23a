/**
 * The cost benchmark's yardsticks: the least a Polygon consumer can do.
 * Both connect, authenticate and subscribe to `T.*`; then
 *
 * - `parse` (the bare client) `JSON.parse`s every frame, counting trades —
 *   what any consumer that reads the data pays;
 * - `frames` (the floor) only counts WebSocket frames and never looks
 *   inside them (ws's UTF-8 pass off too) — what the transport alone costs.
 *
 * ingest is compared with both.
 *
 * Run as its own process. Env: WS_URL, CLIENT_MODE (`parse`, the default,
 * or `frames`), TRADES and FRAMES (the stream's length in trades and in
 * frames), STATS_FILE (JSON: trades, frames, subscribed, lastAt — the wall
 * time the last trade arrived).
 */
import { renameSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';

const mode = process.env.CLIENT_MODE ?? 'parse';
if (mode !== 'parse' && mode !== 'frames')
  throw new Error(`CLIENT_MODE must be "parse" or "frames", not ${mode}`);
const totalTrades = Number(process.env.TRADES);
const totalFrames = Number(process.env.FRAMES);
const statsFile = process.env.STATS_FILE!;
const stats = { trades: 0, frames: 0, subscribed: false, lastAt: 0 };

// Write-then-rename, so the bench never reads a half-written file.
const writeStats = () => {
  writeFileSync(`${statsFile}.tmp`, JSON.stringify(stats));
  renameSync(`${statsFile}.tmp`, statsFile);
};

const ws = new WebSocket(process.env.WS_URL!, {
  perMessageDeflate: false,
  skipUTF8Validation: mode === 'frames',
});

/** Until subscribed, every mode reads the protocol's status frames. */
const handshake = (data: Buffer) => {
  for (const e of JSON.parse(data.toString()) as { status?: string }[]) {
    if (e.status === 'connected')
      ws.send(JSON.stringify({ action: 'auth', params: 'bare-client' }));
    else if (e.status === 'auth_success')
      ws.send(JSON.stringify({ action: 'subscribe', params: 'T.*' }));
    else if (e.status === 'success') {
      stats.subscribed = true;
      writeStats();
    }
  }
};

const done = () => {
  stats.lastAt = Date.now();
  writeStats();
};

const parse = (data: Buffer) => {
  const events = JSON.parse(data.toString()) as { ev: string }[];
  stats.frames++;
  for (const e of events) if (e.ev === 'T') stats.trades++;
  if (stats.trades >= totalTrades && stats.lastAt === 0) done();
};

const count = () => {
  stats.frames++;
  if (stats.frames >= totalFrames && stats.lastAt === 0) {
    stats.trades = totalTrades;
    done();
  }
};

ws.on('message', (data: Buffer) => {
  if (!stats.subscribed) handshake(data);
  else if (mode === 'parse') parse(data);
  else count();
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
