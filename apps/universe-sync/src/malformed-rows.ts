import type { Logger } from '@tickpulse/service-kit';
import type { UniverseMetrics } from './metrics.js';

/** Which path read the malformed row. */
export type MalformedRowPath = 'sync' | 'reconcile';

/** Counts and logs rows whose `alert_universe_full` is malformed. */
export interface MalformedRowReporter {
  /** A row read malformed: counted every time, logged once per strategy and problem. */
  report(strategyId: number, problem: string, path: MalformedRowPath): void;
  /** A row read well-formed: a later malformation of it is logged again. */
  clear(strategyId: number): void;
}

/** Strategies remembered as already logged; beyond this the memory starts over. */
const MAX_REMEMBERED = 10_000;

/**
 * Creates the reporter shared by the sync jobs and the reconcile. Reconcile
 * re-reads a malformed row on every run that compares it; one log line per
 * strategy (until its row changes) keeps that from flooding the logs, while
 * the counter still shows every read.
 */
export function createMalformedRowReporter(deps: {
  metrics: UniverseMetrics;
  logger: Logger;
}): MalformedRowReporter {
  const logged = new Map<number, string>();
  return {
    report(strategyId, problem, path) {
      deps.metrics.malformedRows.inc({ path });
      if (logged.get(strategyId) === problem) return;
      if (logged.size >= MAX_REMEMBERED) logged.clear();
      logged.set(strategyId, problem);
      deps.logger.warn(
        { strategyId, problem, path },
        'strategy universe is malformed (not a 1-D text array); treated as without valid tickers: no set',
      );
    },
    clear(strategyId) {
      if (logged.size > 0) logged.delete(strategyId);
    },
  };
}
