import { sql } from 'drizzle-orm';
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.js';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;

/** pending: waiting (first try or retry); delivering: leased by a dispatcher; then succeeded | failed */
export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed';

/** The dispatcher's name for itself in the cursor table. */
export const FANOUT_CURSOR = 'webhooks';

export { rowsOf } from '../../db/rows.js';

/**
 * Commit this transaction without waiting for the WAL flush. Used for the dispatcher's own bookkeeping
 * (fan-out, claims, settles), where losing the last few commits in a *Postgres* crash only means an event
 * is delivered once more (at-least-once) or a lease is taken again; never for the event log itself.
 * Under I/O load the flush costs several ms per delivery; a berth crash loses nothing (Postgres keeps running).
 * ASYNC_COMMIT_EXPR can ride along in the select list of a statement the transaction runs anyway.
 */
export const ASYNC_COMMIT_EXPR = sql`set_config('synchronous_commit', 'off', true)`;
export const ASYNC_COMMIT = sql`select ${ASYNC_COMMIT_EXPR}`;
