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
}

/**
 * Lease-based election. The leader renews every TTL/3; a standby tries to
 * take the lease every `pollMs`. A leader that cannot renew — Redis gone, or
 * the lease taken — demotes itself *before* the lease can expire in Redis:
 * its local validity ends at ¾ TTL after the last successful renew was sent,
 * so the socket is closed before any standby can acquire the lease and
 * connect. Two replicas never hold the Polygon account at once (it would
 * evict one of them with `max_connections`).
 */
export function createLeaderElector(deps: {
  lease: Lease;
  ttlMs: number;
  pollMs: number;
  logger: Logger;
  metrics: IngestMetrics;
  onElected: () => void;
  onDemoted: (reason: string) => void;
}): LeaderElector {
  const log = deps.logger.child({ component: 'leader' });
  const renewMs = Math.max(100, Math.floor(deps.ttlMs / 3));
  const validForMs = Math.floor((deps.ttlMs * 3) / 4);
  let leader = false;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  const warnLease = logEvery(10_000);

  const demote = (reason: string) => {
    if (!leader) return;
    leader = false;
    clearTimeout(watchdog);
    deps.metrics.leader.set(0);
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
    deps.onDemoted(reason);
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
        if (ok) extend(sentAt);
        else demote('lease taken or expired');
      } else {
        const ok = await withDeadline(
          deps.lease.acquire(),
          deps.pollMs,
          'lease acquire',
        );
        if (!running || !ok) return;
        leader = true;
        extend(sentAt);
        deps.metrics.leader.set(1);
        deps.metrics.leaderTransitions.inc({ transition: 'acquired' });
        log.info('acquired the ingest lease; connecting');
        deps.onElected();
      }
    } catch (err) {
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
    async release() {
      try {
        await withDeadline(deps.lease.release(), 2000, 'lease release');
      } catch (err) {
        log.warn({ err }, 'could not release the lease; it expires by itself');
      }
    },
    get isLeader() {
      return leader;
    },
  };
}
