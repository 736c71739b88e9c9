import { pgTable, text, timestamp, index } from 'drizzle-orm/pg-core';

/**
 * Dashboard sessions signed out before their cookie expired. The cookie is stateless (any process with the
 * server key verifies it), so sign-out writes its id here and every process refuses it from then on. A row
 * is useless once the cookie's own expiry has passed, and is removed after that.
 */
export const dashboardRevokedSessions = pgTable(
  'dashboard_revoked_sessions',
  {
    sessionId: text('session_id').primaryKey(),
    /** the cookie's own expiry: past it the cookie is refused anyway, and the row can go */
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('dashboard_revoked_sessions_expires_idx').on(t.expiresAt)],
);
