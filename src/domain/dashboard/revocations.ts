import { eq, lt } from 'drizzle-orm';
import { dashboardRevokedSessions } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';

/**
 * Sign-out: the session's cookie is refused by every process sharing the database from now on, not only
 * forgotten by this browser (a copied cookie would otherwise work until it expires). Rows past their
 * cookie's expiry are dropped here, so the table holds at most one working day of sign-outs.
 */
export async function revokeDashboardSession(deps: Pick<Deps, 'db' | 'clock'>, sessionId: string, expiresAt: Date): Promise<void> {
  const now = deps.clock.now();
  await deps.db.delete(dashboardRevokedSessions).where(lt(dashboardRevokedSessions.expiresAt, now));
  await deps.db.insert(dashboardRevokedSessions).values({ sessionId, expiresAt, revokedAt: now }).onConflictDoNothing();
}

/** Whether a session (its cookie already verified) was signed out. */
export async function isDashboardSessionRevoked(deps: Pick<Deps, 'db'>, sessionId: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ id: dashboardRevokedSessions.sessionId })
    .from(dashboardRevokedSessions)
    .where(eq(dashboardRevokedSessions.sessionId, sessionId));
  return row !== undefined;
}
