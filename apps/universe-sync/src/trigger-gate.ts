import type { CheckResult, Logger } from '@tickpulse/service-kit';
import type pg from 'pg';
import type { UniverseMetrics } from './metrics.js';
import {
  inspectTrigger,
  TRIGGER_NAME,
  type TriggerState,
} from './migrations.js';
import type { NotifyListener } from './notify-listener.js';

const STATES = [
  'installed',
  'missing',
  'disabled',
  'other_channel',
  'unknown',
] as const;

/** LISTEN only while the notify trigger exists; readiness says which. */
export interface TriggerGate {
  start(): Promise<void>;
  stop(): void;
  /** The `listen` readiness check. */
  check(): CheckResult;
}

/**
 * Starts the listener only once the notify trigger is installed for its
 * channel: the trigger is opt-in (the `migrate` Job, where the database
 * owners allow triggers), and LISTENing without it would wait on a channel
 * nobody notifies while looking healthy. Until then the app says so — the
 * `listen` readiness check (ok: the API and the reconcile still bring every
 * change) and `tickpulse_universe_notify_trigger{state}` — and looks again
 * every `recheckMs`; when the trigger appears it starts listening and asks
 * for a reconcile, since no change was notified before.
 */
export function createTriggerGate(deps: {
  pool: Pick<pg.Pool, 'query'>;
  channel: string;
  listener: NotifyListener;
  metrics: UniverseMetrics;
  logger: Logger;
  onInstalled: () => Promise<unknown>;
  recheckMs: number;
}): TriggerGate {
  let state: TriggerState | 'unknown' = 'unknown';
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const setState = (next: TriggerState | 'unknown') => {
    for (const s of STATES)
      deps.metrics.notifyTrigger.set({ state: s }, s === next ? 1 : 0);
    if (next !== state && next !== 'installed')
      deps.logger.warn(
        { trigger: TRIGGER_NAME, channel: deps.channel, state: next },
        'notify trigger not installed for this channel: LISTEN stays off until it is (run migrate); the API and the reconcile still sync every change',
      );
    state = next;
  };

  const look = async (): Promise<boolean> => {
    try {
      setState(await inspectTrigger(deps.pool, deps.channel));
    } catch (err) {
      deps.metrics.errors.inc({ where: 'trigger_check' });
      deps.logger.warn(
        { err },
        'could not look up the notify trigger; retrying',
      );
      setState('unknown');
    }
    return state === 'installed';
  };

  const recheckNow = async () => {
    if (stopped) return;
    if (!(await look())) return recheck();
    if (stopped) return;
    await deps.listener.start();
    await deps
      .onInstalled()
      .catch(err =>
        deps.logger.warn(
          { err },
          'could not request a reconcile after the trigger appeared',
        ),
      );
  };

  // A timer drops what its callback returns: a LISTEN that fails must be
  // retried here, not become an unhandled rejection that ends the process.
  const recheck = () => {
    timer = setTimeout(() => {
      recheckNow().catch(err => {
        deps.metrics.errors.inc({ where: 'trigger_check' });
        deps.logger.warn(
          { err },
          'could not listen for strategy changes; retrying',
        );
        recheck();
      });
    }, deps.recheckMs);
  };

  return {
    async start() {
      if (await look()) await deps.listener.start();
      else recheck();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    check() {
      if (state === 'installed')
        return deps.listener.isListening()
          ? { ok: true }
          : { ok: false, detail: 'LISTEN connection down; reconnecting' };
      return {
        ok: true,
        detail:
          state === 'unknown'
            ? 'off: the notify trigger could not be looked up yet; retrying'
            : `off: notify trigger ${state.replace('_', ' ')} for channel ${deps.channel} (run migrate); changes arrive through the API and the reconcile`,
      };
    },
  };
}
