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
  /** Rounds not streamed (feed paused): they exist only in the REST history. */
  roundsSkipped(): number;
  readonly edits: StrategyEdits;
  readonly rss: RssSampler;
  /**
   * While true oracle rounds go only into the REST history and no probe trade
   * is sent: a fault that needs a silent feed (the stall) sets it, because
   * any frame would end the stall.
   */
  feedPaused: boolean;
  /** While true the edit stream commits nothing (a round that compares universes sets it). */
  editsPaused: boolean;
  /** Resolves when the edit step under way, if any, has finished. */
  editsIdle(): Promise<void>;
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
  let editStep: Promise<void> = Promise.resolve();
  const load: ChaosLoad = {
    rounds,
    roundsSkipped: () => roundsSkipped,
    edits,
    rss,
    feedPaused: false,
    editsPaused: false,
    editsIdle: () => editStep,
    stop: () => {
      stopping = true;
      return (stopped ??= Promise.all(loops).then(() => undefined));
    },
  };
  const loops = [
    loop(stack.settings.roundIntervalMs, () => {
      if (load.feedPaused) roundsSkipped++;
      rounds.push(sendRound(stack.sim, ++nextRound, !load.feedPaused));
    }),
    loop(150, () => {
      if (!load.editsPaused) editStep = edits.step();
      return editStep;
    }),
    loop(1000, () => rss.sample()),
  ];
  return load;
}
