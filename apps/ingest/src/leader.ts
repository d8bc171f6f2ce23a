import {
  type Lease,
  logEvery,
  type Logger,
  withDeadline,
} from '@tickpulse/shared';
import type { IngestMetrics } from './metrics.js';

/** Decides whether this replica holds the Polygon connection. */
export interface LeaderElector {
  start(): void;
  /** Stops polling/renewing; demotes (without releasing) when leader. */
  stop(): void;
  /** Releases the lease if this replica holds it. */
  release(): Promise<void>;
  readonly isLeader: boolean;
  /**
   * Why this replica can never take the lease (the last attempt was
   * refused by a read-only replica or for lack of permissions), or null.
   */
  readonly cannotLead: string | null;
}

/** Redis refusals that no retry can change: wrong server role, or ACL. */
const UNRECOVERABLE_LEASE_ERROR = /^(READONLY|NOPERM)\b/;

/**
 * Lease-based election. The leader renews every TTL/3; a standby tries to
 * take the lease every `pollMs`. A leader that cannot renew — Redis gone, or
 * the lease taken — demotes itself *before* the lease can expire in Redis:
 * its local validity ends at ¾ TTL after the last successful renew was sent,
 * so the socket is closed before any standby can acquire the lease and
 * connect. Two replicas never hold the Polygon account at once (it would
 * evict one of them with `max_connections`).
 *
 * With `stepDown`, a leader whose stream has not been live for `afterMs`
 * (since its election or the last renew that found it live) gives the lease
 * up: a replica that cannot reach Polygon would otherwise hold it forever
 * while healthy standbys wait. It closes its connection first (`onDemoted`
 * resolves once the socket is closed), then releases, then sits out
 * `cooldownMs` so that a standby wins the next poll; a single replica retakes
 * the lease after the cooldown.
 */
export function createLeaderElector(deps: {
  lease: Lease;
  ttlMs: number;
  pollMs: number;
  logger: Logger;
  metrics: IngestMetrics;
  onElected: () => void;
  /** Closes the Polygon connection; resolves once it is closed. */
  onDemoted: (reason: string) => Promise<void> | void;
  stepDown?: {
    afterMs: number;
    cooldownMs: number;
    /** True while the Polygon stream is live (subscribed), sampled at every renew. */
    isLive: () => boolean;
  };
}): LeaderElector {
  const log = deps.logger.child({ component: 'leader' });
  const renewMs = Math.max(100, Math.floor(deps.ttlMs / 3));
  const validForMs = Math.floor((deps.ttlMs * 3) / 4);
  let leader = false;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  const warnLease = logEvery(10_000);
  // Election, or the last renew that found the stream live.
  let liveAt = 0;
  let cooldownUntil = 0;
  let cannotLead: string | null = null;

  const demote = (reason: string) => {
    if (!leader) return;
    leader = false;
    clearTimeout(watchdog);
    deps.metrics.leader.set(0);
    if (reason === 'stepped_down') {
      deps.metrics.leaderTransitions.inc({ transition: 'stepped_down' });
      // The caller logs the reason and awaits the close.
      return;
    }
    if (reason === 'shutdown') {
      deps.metrics.leaderTransitions.inc({ transition: 'released' });
      log.info('stepping down as leader for shutdown');
    } else {
      deps.metrics.leaderTransitions.inc({ transition: 'lost' });
      log.warn(
        { reason },
        'lost the ingest lease; closing the Polygon connection',
      );
    }
    void deps.onDemoted(reason);
  };

  const release = async () => {
    try {
      await withDeadline(deps.lease.release(), 2000, 'lease release');
    } catch (err) {
      log.warn({ err }, 'could not release the lease; it expires by itself');
    }
  };

  /** Gives the lease up when the stream has not been live for `afterMs`. */
  const stepDownIfDead = async (now: number): Promise<void> => {
    const sd = deps.stepDown;
    if (!sd || sd.afterMs === 0) return;
    if (sd.isLive()) {
      liveAt = now;
      return;
    }
    const downMs = now - liveAt;
    if (downMs < sd.afterMs) return;
    demote('stepped_down');
    log.warn(
      {
        reason: 'Polygon stream not live',
        downMs,
        cooldownMs: sd.cooldownMs,
      },
      'stepping down as leader: no live Polygon stream for LEADER_STEP_DOWN_AFTER_MS; ' +
        'closing the connection, then releasing the lease so that a standby can try',
    );
    // Closed before released: a standby may connect as soon as the lease is free.
    await deps.onDemoted('stepped_down');
    await release();
    cooldownUntil = Date.now() + sd.cooldownMs;
  };

  const extend = (sentAt: number) => {
    clearTimeout(watchdog);
    watchdog = setTimeout(
      () => demote('lease not renewed in time'),
      Math.max(0, sentAt + validForMs - Date.now()),
    );
  };

  const step = async () => {
    const sentAt = Date.now();
    try {
      if (leader) {
        const ok = await withDeadline(
          deps.lease.renew(),
          renewMs,
          'lease renew',
        );
        if (!running) return;
        if (!ok) {
          demote('lease taken or expired');
          return;
        }
        extend(sentAt);
        // Right after a renew: the lease stays ours while the socket closes.
        await stepDownIfDead(sentAt);
      } else {
        if (sentAt < cooldownUntil) return;
        const ok = await withDeadline(
          deps.lease.acquire(),
          deps.pollMs,
          'lease acquire',
        );
        cannotLead = null;
        if (!running || !ok) return;
        leader = true;
        liveAt = sentAt;
        extend(sentAt);
        deps.metrics.leader.set(1);
        deps.metrics.leaderTransitions.inc({ transition: 'acquired' });
        log.info('acquired the ingest lease; connecting');
        deps.onElected();
      }
    } catch (err) {
      const message = (err as Error).message;
      if (!leader && UNRECOVERABLE_LEASE_ERROR.test(message))
        cannotLead = message;
      warnLease(() => log.warn({ err, leader }, 'lease operation failed'));
    }
  };

  const loop = async () => {
    if (!running) return;
    await step();
    if (running)
      timer = setTimeout(() => void loop(), leader ? renewMs : deps.pollMs);
  };

  return {
    start() {
      if (running) return;
      running = true;
      void loop();
    },
    stop() {
      running = false;
      clearTimeout(timer);
      demote('shutdown');
    },
    release,
    get isLeader() {
      return leader;
    },
    get cannotLead() {
      return cannotLead;
    },
  };
}
