import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  description: text('description'),
  /** whsec_ secret, AES-256-GCM encrypted at rest; shown once on create and rotate */
  secretEnc: text('secret_enc').notNull(),
  /**
   * After a rotation the old secret keeps signing too (Standard Webhooks allows several signatures) until
   * previousSecretExpiresAt, so receivers can switch keys without dropping deliveries.
   */
  previousSecretEnc: text('previous_secret_enc'),
  previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true, mode: 'date' }),
  /** empty = every type */
  eventTypes: jsonb('event_types').$type<string[]>().notNull().default([]),
  enabled: boolean('enabled').notNull().default(true),
  disabledReason: text('disabled_reason'),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  /** first failed attempt since the last success; an endpoint failing for long enough is disabled */
  failingSince: timestamp('failing_since', { withTimezone: true, mode: 'date' }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** One row per (event, endpoint); a claim is a lease (leaseOwner/leaseUntil), settled after the attempt. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventSeq: bigint('event_seq', { mode: 'number' }).notNull(),
    eventId: text('event_id').notNull(),
    /** pending | delivering | succeeded | failed */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull(),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_endpoint_seq_idx').on(t.endpointId, t.eventSeq),
    // The claim's ordering check looks only at unfinished deliveries; without this partial index it would
    // walk every delivered row of the endpoint (kept for the retention period) for each candidate.
    index('webhook_deliveries_open_idx')
      .on(t.endpointId, t.eventSeq)
      .where(sql`${t.status} in ('pending', 'delivering')`),
    index('webhook_deliveries_event_seq_idx').on(t.eventSeq),
  ],
);

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: text('id').primaryKey(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attemptedAt: timestamp('attempted_at', { withTimezone: true, mode: 'date' }).notNull(),
    statusCode: integer('status_code'),
    durationMs: integer('duration_ms').notNull(),
    error: text('error'),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId)],
);

/** Where the webhook fan-out has got to in the event log (one row per server deployment). */
export const webhookCursor = pgTable('webhook_cursor', {
  name: text('name').primaryKey(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
  details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
});
