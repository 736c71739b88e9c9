import { eq, lt } from 'drizzle-orm';
import { dashboardRevokedSessions } from '../../db/schema/index.js';
import { withTx } from '../../db/tx.js';
import type { Deps } from '../deps.js';
import { appendEvent, recordEvent } from '../events/append.js';

/** A dashboard session began: logged (log-only, no key, no cookie) so the audit trail starts with it. */
export async function recordSignIn(deps: Pick<Deps, 'db' | 'clock' | 'ids'>, actor: string): Promise<void> {
  await recordEvent(deps, { type: 'dashboard.signed_in', actor });
}

/**
 * Sign-out: the session's cookie is refused by every process sharing the database from now on, not only
 * forgotten by this browser (a copied cookie would otherwise work until it expires). Rows past their
 * cookie's expiry are dropped here, so the table holds at most one working day of sign-outs.
 */
export async function revokeDashboardSession(deps: Pick<Deps, 'db' | 'clock' | 'ids'>, sessionId: string, expiresAt: Date, actor: string): Promise<void> {
  const now = deps.clock.now();
  await withTx(deps.db, async (tx) => {
    await tx.delete(dashboardRevokedSessions).where(lt(dashboardRevokedSessions.expiresAt, now));
    await tx.insert(dashboardRevokedSessions).values({ sessionId, expiresAt, revokedAt: now }).onConflictDoNothing();
    // the revocation and its record commit together; the append lock is taken last, as appendEvent asks
    await appendEvent(tx, deps, { type: 'dashboard.signed_out', actor });
  });
}

/** Whether a session (its cookie already verified) was signed out. */
export async function isDashboardSessionRevoked(deps: Pick<Deps, 'db'>, sessionId: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ id: dashboardRevokedSessions.sessionId })
    .from(dashboardRevokedSessions)
    .where(eq(dashboardRevokedSessions.sessionId, sessionId));
  return row !== undefined;
}
