import { type Logger, sleep } from '@tickpulse/service-kit';

/** When the leader connects to Polygon and rebuilds TICK:UPD. */
export interface LeadershipPolicy {
  /** The lease was taken: connect (and rebuild if a loss awaits it). */
  elected(): Promise<void>;
  /** Redis lost its data (TICK:UPD and the lease with it). */
  dataLost(): Promise<void>;
}

/**
 * Creates the leadership / data-loss policy. It decides; the deps act.
 *
 * @param deps.leaseTtlMs the lease TTL, which sets the handover wait.
 * @param deps.isLeader whether this replica holds the lease now.
 * @param deps.isStopping whether `stop()` has begun.
 * @param deps.isFatal whether the key was rejected (never connect again).
 * @param deps.checkDataLoss true/false: a loss was/was not found; null: Redis
 *   could not be asked.
 * @param deps.connect opens the Polygon connection.
 * @param deps.rebuild rebuilds TICK:UPD; a rejection leaves it pending for
 *   the next election.
 */
export function createLeadershipPolicy(deps: {
  leaseTtlMs: number;
  log: Logger;
  isLeader: () => boolean;
  isStopping: () => boolean;
  isFatal: () => boolean;
  checkDataLoss: () => Promise<boolean | null>;
  connect: () => void;
  rebuild: () => Promise<void>;
}): LeadershipPolicy {
  const { log } = deps;
  // The lease passes safely on expiry because a leader that cannot renew
  // closes its socket at ¾ TTL. A data loss deletes the lease at once, so the
  // old leader may still stream (and believe it leads) until its next renew:
  // for ¾ TTL after a loss no replica connects or rebuilds, or the account
  // would be taken twice and TICK:UPD rebuilt twice.
  const handoverMs = Math.floor((deps.leaseTtlMs * 3) / 4);
  let lossNoticedAt = Number.NEGATIVE_INFINITY;
  let rebuildPending = false;

  const rebuildIfLeader = async () => {
    if (!rebuildPending || !deps.isLeader() || deps.isStopping()) return;
    rebuildPending = false;
    try {
      await deps.rebuild();
      log.info('TICK:UPD rebuilt after Redis data loss');
    } catch (err) {
      rebuildPending = true;
      log.error({ err }, 'TICK:UPD rebuild after Redis data loss failed');
    }
  };

  return {
    async elected() {
      // Unknown (Redis errored right after the acquire) counts as a loss: waiting is the safe side.
      if ((await deps.checkDataLoss()) === null) lossNoticedAt = Date.now();
      const wait = lossNoticedAt + handoverMs - Date.now();
      if (wait > 0) {
        log.warn(
          { waitMs: wait },
          'took the lease right after a Redis data loss; waiting for a previous leader to close its connection',
        );
        await sleep(wait);
      }
      if (!deps.isFatal() && !deps.isStopping() && deps.isLeader())
        deps.connect();
      await rebuildIfLeader();
    },
    async dataLost() {
      lossNoticedAt = Date.now();
      rebuildPending = true;
      await sleep(handoverMs);
      await rebuildIfLeader();
    },
  };
}
