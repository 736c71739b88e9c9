import { bigint, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The append-only event log. Written in the same transaction as the change it records; feeds webhooks and
 * the SSE stream. seq is monotonically increasing in commit order (see domain/events/append.ts).
 */
export const events = pgTable(
  'events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    id: text('id').notNull().unique(),
    type: text('type').notNull(),
    sandboxId: text('sandbox_id'),
    mountId: text('mount_id'),
    fromState: text('from_state'),
    toState: text('to_state'),
    reason: text('reason'),
    /** who or what caused it: api:<request id>, reaper, reconciler, docker-events, ... */
    actor: text('actor').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('events_sandbox_seq_idx').on(t.sandboxId, t.seq), index('events_created_idx').on(t.createdAt)],
);

export type EventRow = typeof events.$inferSelect;
