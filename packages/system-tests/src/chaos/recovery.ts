import { waitFor } from '@tickpulse/testkit';
import type { ChaosLoad } from './load.js';
import type { ChaosStack } from './stack.js';

/** "The system is healthy again", the default end of every fault's recovery. */
export type WaitHealthy = () => Promise<void>;

/**
 * Healthy = every running process answers /readyz 200 and a freshly sent
 * eligible trade reaches TICK:UPD. Readiness alone is not enough: ingest can
 * be ready while its socket is dead, so the probe proves the tick path end to
 * end.
 */
export function createWaitHealthy(
  stack: ChaosStack,
  load: ChaosLoad,
): WaitHealthy {
  let probeSeq = 0;
  const tickProbe = async (timeoutMs = 90_000) => {
    const sym = `P${++probeSeq}Q`;
    let ms = 0;
    await waitFor(
      async () => {
        if (
          stack.sim.stats().subscribed === 1 &&
          ms === 0 &&
          !load.feedPaused
        ) {
          ms = Date.now();
          stack.sim.sendFrames([
            [{ ev: 'T', sym, x: 4, i: sym, z: 1, p: 1, s: 100, t: ms, q: 1 }],
          ]);
        }
        if (ms === 0) return false;
        if ((await stack.zscore(sym)) === ms) return true;
        // The frame may have been lost in a reconnect: send a new one later.
        if (Date.now() - ms > 5000) ms = 0;
        return false;
      },
      { timeoutMs, intervalMs: 100, what: `tick probe ${sym}` },
    );
  };
  return async () => {
    await Promise.all(
      stack.system
        .all()
        .filter(p => p.running())
        .map(p => p.waitReady(120_000)),
    );
    await tickProbe();
  };
}
