import type { CheckResult } from '@tickpulse/service-kit';
import type { PolygonClient } from './polygon-client.js';

/**
 * The `polygon` check of /readyz: a leader is ready while authenticated
 * and not silent in the data window; a standby while it could take over
 * (not when Redis refuses its lease: a read-only replica, an ACL).
 *
 * @param s.stopping whether `stop()` has begun.
 * @returns the check as /readyz shows it.
 */
export function polygonReadiness(s: {
  leader: boolean;
  /** Why this standby can never take the lease, or null. */
  cannotLead: string | null;
  client: Pick<PolygonClient, 'authenticated' | 'silent' | 'state'>;
  fatal: boolean;
  stopping: boolean;
}): CheckResult {
  const { client } = s;
  // A standby that Redis will never let lead is no standby: say so.
  if (!s.leader && s.cannotLead)
    return {
      ok: false,
      detail: `standby that cannot take the lease: ${s.cannotLead.slice(0, 120)}`,
    };
  if (!s.leader) return { ok: !s.fatal && !s.stopping, detail: 'standby' };
  return {
    ok: client.authenticated && !client.silent,
    detail: `leader, ${client.state}${client.silent ? ', feed silent (no trades in the data window)' : ''}`,
  };
}
