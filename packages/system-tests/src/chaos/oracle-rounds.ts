import type { PolygonSim } from '@tickpulse/polygon-sim';
import { scriptFrames, type ScriptedTrade } from '../oracle.js';

/** One scripted round: trades for tickers only this suite sends, then a marker. */
export interface Round {
  id: number;
  tickers: string[];
  marker: string;
  markerMs: number;
  trades: ScriptedTrade[];
  /** Every frame reached exactly one subscribed connection, the same one. */
  sameConnection: boolean;
  /**
   * Sent before Redis lost its data: its tickers never trade again and are
   * not in the simulator's REST universe, so they stay missing from TICK:UPD
   * and are only checked for invented times.
   */
  lostWithRedisData?: boolean;
}

/** Tickers per round; the TICK:UPD check reports rounds × this. */
export const ROUND_TICKERS = 6;

/**
 * Sends round `id` (3 frames of 8 mixed trades, then a marker trade) to the
 * subscribed connection, or returns null when none is subscribed. The marker
 * reaching TICK:UPD later proves ingest read and published everything before
 * it on that socket; `sameConnection` says whether the sim's connection
 * counter stayed put, i.e. no frame can have gone to a socket that died.
 */
export function sendRound(sim: PolygonSim, id: number): Round | null {
  const before = sim.stats();
  if (before.subscribed !== 1) return null;
  const tickers = Array.from(
    { length: ROUND_TICKERS },
    (_, k) => `O${id}R${k}`,
  );
  const frames = scriptFrames({
    tickers,
    frames: 3,
    perFrame: 8,
    nowMs: Date.now(),
    spanMs: 30_000,
    seed: 1000 + id,
  });
  const markerMs = Date.now();
  const marker = `M${id}R`;
  let same = true;
  for (const f of frames) if (sim.sendFrames([f]) !== 1) same = false;
  const m = {
    ev: 'T',
    sym: marker,
    x: 4,
    i: `m${id}`,
    z: 1,
    p: 1,
    s: 100,
    t: markerMs,
    q: 1,
  };
  if (sim.sendFrames([[m]]) !== 1) same = false;
  const after = sim.stats();
  if (
    after.totalConnections !== before.totalConnections ||
    after.subscribed !== 1
  )
    same = false;
  return {
    id,
    tickers,
    marker,
    markerMs,
    trades: frames.flat(),
    sameConnection: same,
  };
}
