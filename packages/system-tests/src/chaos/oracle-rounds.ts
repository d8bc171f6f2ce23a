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
}

/** Tickers per round; the TICK:UPD check reports rounds × this. */
export const ROUND_TICKERS = 6;

/**
 * Sends round `id` (3 frames of 8 mixed trades, then a marker trade). Every
 * trade also goes into the simulator's REST history, so a round sent while
 * no leader is connected (or while `stream` is false: the feed must stay
 * silent) happened in the market all the same, and gap healing must bring
 * it into TICK:UPD. `sameConnection` says whether every frame reached the
 * one subscribed connection without a connection change.
 */
export function sendRound(sim: PolygonSim, id: number, stream = true): Round {
  const before = sim.stats();
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
  const print = (sym: string, t: number, c?: number[]) => ({
    sym,
    sipNs: String(BigInt(t) * 1_000_000n),
    ...(c ? { conditions: c } : {}),
  });
  for (const f of frames)
    sim.addPrints(
      f.map(t => print(t.sym, t.t, t.c)),
      stream,
    );
  sim.addPrints([print(marker, markerMs)], stream);
  const after = sim.stats();
  const same =
    stream &&
    before.subscribed === 1 &&
    after.subscribed === 1 &&
    after.totalConnections === before.totalConnections;
  return {
    id,
    tickers,
    marker,
    markerMs,
    trades: frames.flat(),
    sameConnection: same,
  };
}
