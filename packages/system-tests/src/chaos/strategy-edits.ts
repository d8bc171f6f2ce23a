import { enqueueUniverseSync } from '@tickpulse/contracts';
import { seededRandom } from '@tickpulse/testkit';
import type { ChaosStack } from './stack.js';

/** The edit stream: one committed change plus one sync request per step. */
export interface StrategyEdits {
  /** Commits one random insert/update/delete, then asks for a sync of that strategy. */
  step(): Promise<void>;
  /** Edits PostgreSQL accepted. */
  edits(): number;
  /** Sync requests that were not accepted (non-202 or Redis down). */
  enqueueFailures(): number;
}

/**
 * Strategy edits as the Go backend makes them: committed straight to
 * PostgreSQL, then announced half through `POST /v1/strategies/:id/sync` and
 * half through `enqueueUniverseSync` (the trigger's NOTIFY adds a third path).
 * Ids reach a few beyond the initial rows so inserts and deletes of unknown
 * strategies happen too.
 */
export function createStrategyEdits(stack: ChaosStack): StrategyEdits {
  const er = seededRandom(11);
  const { strategies } = stack;
  let edits = 0;
  let enqueueFailures = 0;
  return {
    async step() {
      const id = 1 + Math.floor(er() * (stack.settings.strategyCount + 5));
      try {
        if (er() < 0.1) await strategies.delete(id);
        else
          await strategies.upsert(id, er() < 0.8, strategies.randomUniverse());
        edits++;
      } catch {
        // A rejected edit (CHECK) is simply not committed.
      }
      try {
        if (er() < 0.5) {
          const r = await stack.api(`/v1/strategies/${id}/sync`, {
            body: JSON.stringify({ reason: 'chaos edit' }),
          });
          if (r.status !== 202) enqueueFailures++;
        } else {
          await enqueueUniverseSync(stack.syncQueue, id, 'chaos edit');
        }
      } catch {
        enqueueFailures++;
      }
    },
    edits: () => edits,
    enqueueFailures: () => enqueueFailures,
  };
}
