import { setTimeout as sleep } from 'node:timers/promises';
import { sendRound, type Round } from './oracle-rounds.js';
import { createRssSampler, type RssSampler } from './rss-sampler.js';
import type { ChaosStack } from './stack.js';
import { createStrategyEdits, type StrategyEdits } from './strategy-edits.js';

/**
 * The steady background the faults run against: oracle rounds on the feed,
 * the strategy edit stream, and RSS sampling, each its own loop.
 */
export interface ChaosLoad {
  /** Every round sent, in order (the TICK:UPD oracle). */
  readonly rounds: readonly Round[];
  /** Round slots skipped because no leader was subscribed or the feed was paused. */
  roundsSkipped(): number;
  readonly edits: StrategyEdits;
  readonly rss: RssSampler;
  /**
   * While true no oracle round and no probe trade is sent: a fault that needs
   * a silent feed (the stall) sets it, because any frame would end the stall.
   */
  feedPaused: boolean;
  /** Ends every loop after its current step; resolves when all have ended. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the three loops. */
export function startChaosLoad(stack: ChaosStack): ChaosLoad {
  let stopping = false;
  const loop = (intervalMs: number, step: () => unknown) =>
    (async () => {
      while (!stopping) {
        await step();
        await sleep(intervalMs);
      }
    })();

  const rounds: Round[] = [];
  let roundsSkipped = 0;
  let nextRound = 0;
  const edits = createStrategyEdits(stack);
  const rss = createRssSampler(stack.system);
  let stopped: Promise<void> | undefined;
  const load: ChaosLoad = {
    rounds,
    roundsSkipped: () => roundsSkipped,
    edits,
    rss,
    feedPaused: false,
    stop: () => {
      stopping = true;
      return (stopped ??= Promise.all(loops).then(() => undefined));
    },
  };
  const loops = [
    loop(stack.settings.roundIntervalMs, () => {
      const r = load.feedPaused ? null : sendRound(stack.sim, ++nextRound);
      if (r) rounds.push(r);
      else roundsSkipped++;
    }),
    loop(150, () => edits.step()),
    loop(1000, () => rss.sample()),
  ];
  return load;
}
