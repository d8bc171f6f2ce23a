import type { PolygonSim } from '@tickpulse/polygon-sim';
import { waitFor } from '@tickpulse/testkit';
import type { Queue } from 'bullmq';
import type { AppProcess } from './harness.js';
import { TickOracle, type ScriptedTrade } from './oracle.js';

/** The Redis reads the check needs; a standalone, Sentinel or Cluster client. */
interface TickUpdReader {
  zrange(
    key: string,
    start: string,
    stop: string,
    withScores: 'WITHSCORES',
  ): Promise<string[]>;
}

/** Sends scripted trades through a running tick path and compares TICK:UPD with the oracle. */
export interface TickPathCheck {
  /** The expectation: the newest eligible trade per ticker of everything sent. */
  readonly oracle: TickOracle;
  /**
   * Sends each frame (plus a quote, which ingest must ignore) and records
   * its trades in the oracle; throws when the simulator has no subscriber.
   */
  send(frames: ScriptedTrade[][]): void;
  /** Waits until ingest's received-trades counter shows every trade sent. */
  allReceived(): Promise<void>;
  /**
   * Waits (up to 120 s) until the `ticks` queue is drained and TICK:UPD
   * equals the oracle, then returns both for the caller's assertion (a
   * timeout returns them too, so the assertion shows the difference).
   */
  settled(): Promise<{
    got: Record<string, number>;
    want: Record<string, number>;
  }>;
}

/** The tick-path oracle check of the end-to-end suites (standalone and every topology). */
export function createTickPathCheck(deps: {
  sim: PolygonSim;
  ingest: AppProcess;
  redis: TickUpdReader;
  tickUpdKey: string;
  queue: Queue;
}): TickPathCheck {
  const oracle = new TickOracle();
  let tradesSent = 0;

  const tickUpd = async () => {
    const flat = await deps.redis.zrange(
      deps.tickUpdKey,
      '0',
      '-1',
      'WITHSCORES',
    );
    const m = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2)
      m.set(flat[i]!, Number(flat[i + 1]));
    return m;
  };

  const queueDrained = async () => {
    const c = await deps.queue.getJobCounts(
      'wait',
      'active',
      'delayed',
      'prioritized',
    );
    return Object.values(c).every(n => n === 0);
  };

  return {
    oracle,
    send(frames) {
      for (const f of frames) {
        oracle.add(f);
        tradesSent += f.length;
        const withQuote = [
          ...f,
          { ev: 'Q', sym: f[0]!.sym, bp: 1, ap: 2, t: Date.now() },
        ];
        if (deps.sim.sendFrames([withQuote]) !== 1)
          throw new Error('the simulator has no subscriber to send to');
      }
    },
    async allReceived() {
      await waitFor(
        async () =>
          (await deps.ingest.metric(
            'tickpulse_ingest_trades_received_total',
          )) === tradesSent,
        { timeoutMs: 60_000, what: `ingest received ${tradesSent} trades` },
      );
    },
    async settled() {
      await waitFor(
        async () => {
          if (!(await queueDrained())) return false;
          const got = await tickUpd();
          if (got.size !== oracle.expected.size) return false;
          for (const [t, ms] of oracle.expected)
            if (got.get(t) !== ms) return false;
          return true;
        },
        {
          timeoutMs: 120_000,
          intervalMs: 200,
          what: 'TICK:UPD to match the oracle',
        },
      ).catch(() => undefined);
      return {
        got: Object.fromEntries(await tickUpd()),
        want: Object.fromEntries(oracle.expected),
      };
    },
  };
}
