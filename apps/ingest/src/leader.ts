import { type Lease } from '@tickpulse/redis';
import { logEvery, type Logger, withDeadline } from '@tickpulse/service-kit';
import {
  cannotLeadAfter,
  demotion,
  type LeaseTimings,
  leaseTimings,
  nextAttemptMs,
  stepDownVerdict,
  watchdogDelay,
} from './election.js';
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
export function createLeaderElector(deps: ElectorDeps): LeaderElector {
  const e: Elector = {
    deps,
    log: deps.logger.child({ component: 'leader' }),
    timings: leaseTimings(deps.ttlMs),
    leader: false,
    running: false,
    timer: undefined,
    watchdog: undefined,
    warnLease: logEvery(10_000),
    liveAt: 0,
    cooldownUntil: 0,
    cannotLead: null,
  };

  const loop = async () => {
    if (!e.running) return;
    await step(e);
    if (e.running)
      e.timer = setTimeout(
        () => void loop(),
        nextAttemptMs(e.leader, e.timings, deps.pollMs),
      );
  };

  return {
    start() {
      if (e.running) return;
      e.running = true;
      void loop();
    },
    stop() {
      e.running = false;
      clearTimeout(e.timer);
      demote(e, 'shutdown');
    },
    release: () => release(e),
    get isLeader() {
      return e.leader;
    },
    get cannotLead() {
      return e.cannotLead;
    },
  };
}

/** What `createLeaderElector` is built from. */
export interface ElectorDeps {
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
}

/** The elector's state, shared by its steps below. */
interface Elector {
  deps: ElectorDeps;
  log: Logger;
  timings: LeaseTimings;
  leader: boolean;
  running: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Demotes a leader whose lease may have run out (see `validForMs`). */
  watchdog: NodeJS.Timeout | undefined;
  warnLease: ReturnType<typeof logEvery>;
  /** Election, or the last renew that found the stream live. */
  liveAt: number;
  /** After a step-down, no acquire before this (Unix ms). */
  cooldownUntil: number;
  cannotLead: string | null;
}

/** One renew (leader) or acquire (standby); failures are logged, throttled. */
async function step(e: Elector): Promise<void> {
  const sentAt = Date.now();
  try {
    if (e.leader) await renew(e, sentAt);
    else await acquire(e, sentAt);
  } catch (err) {
    e.cannotLead = cannotLeadAfter(
      (err as Error).message,
      e.leader,
      e.cannotLead,
    );
    const leader = e.leader;
    e.warnLease(() => e.log.warn({ err, leader }, 'lease operation failed'));
  }
}

async function renew(e: Elector, sentAt: number): Promise<void> {
  const ok = await withDeadline(
    e.deps.lease.renew(),
    e.timings.renewMs,
    'lease renew',
  );
  if (!e.running) return;
  if (!ok) {
    demote(e, 'lease taken or expired');
    return;
  }
  extend(e, sentAt);
  // Right after a renew: the lease stays ours while the socket closes.
  await stepDownIfDead(e, sentAt);
}

async function acquire(e: Elector, sentAt: number): Promise<void> {
  if (sentAt < e.cooldownUntil) return;
  const ok = await withDeadline(
    e.deps.lease.acquire(),
    e.deps.pollMs,
    'lease acquire',
  );
  e.cannotLead = null;
  if (!e.running || !ok) return;
  e.leader = true;
  e.liveAt = sentAt;
  extend(e, sentAt);
  e.deps.metrics.leader.set(1);
  e.deps.metrics.leaderTransitions.inc({ transition: 'acquired' });
  e.log.info('acquired the ingest lease; connecting');
  e.deps.onElected();
}

function extend(e: Elector, sentAt: number): void {
  clearTimeout(e.watchdog);
  e.watchdog = setTimeout(
    () => demote(e, 'lease not renewed in time'),
    watchdogDelay(sentAt, e.timings.validForMs, Date.now()),
  );
}

function demote(e: Elector, reason: string): void {
  if (!e.leader) return;
  e.leader = false;
  clearTimeout(e.watchdog);
  const { transition, closeConnection } = demotion(reason);
  e.deps.metrics.leader.set(0);
  e.deps.metrics.leaderTransitions.inc({ transition });
  // A step-down's caller logs the reason and awaits the close.
  if (!closeConnection) return;
  if (transition === 'released')
    e.log.info('stepping down as leader for shutdown');
  else
    e.log.warn(
      { reason },
      'lost the ingest lease; closing the Polygon connection',
    );
  void e.deps.onDemoted(reason);
}

async function release(e: Elector): Promise<void> {
  try {
    await withDeadline(e.deps.lease.release(), 2000, 'lease release');
  } catch (err) {
    e.log.warn({ err }, 'could not release the lease; it expires by itself');
  }
}

/** Gives the lease up when the stream has not been live for `afterMs`. */
async function stepDownIfDead(e: Elector, now: number): Promise<void> {
  const sd = e.deps.stepDown;
  if (!sd || sd.afterMs === 0) return;
  const verdict = stepDownVerdict(sd.afterMs, sd.isLive(), now, e.liveAt);
  if (verdict.kind === 'live') e.liveAt = now;
  if (verdict.kind !== 'step-down') return;
  demote(e, 'stepped_down');
  e.log.warn(
    {
      reason: 'Polygon stream not live',
      downMs: verdict.downMs,
      cooldownMs: sd.cooldownMs,
    },
    'stepping down as leader: no live Polygon stream for LEADER_STEP_DOWN_AFTER_MS; ' +
      'closing the connection, then releasing the lease so that a standby can try',
  );
  // Closed before released: a standby may connect as soon as the lease is free.
  await e.deps.onDemoted('stepped_down');
  await release(e);
  e.cooldownUntil = Date.now() + sd.cooldownMs;
}
