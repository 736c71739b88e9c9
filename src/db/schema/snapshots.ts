import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * A snapshot is a `docker commit` of a sandbox's container, tagged `berth-snapshot:<id>` on the host that
 * made it. The row is written Creating before the commit runs (with a lease naming the process doing it),
 * so a crash mid-commit leaves a row the reaper can fail and whose half-made image it can remove.
 * Deleted snapshots lose their row: the snapshot.deleted event is the history.
 */
export const snapshots = pgTable(
  'snapshots',
  {
    id: text('id').primaryKey(),
    /** the source sandbox; no foreign key: a snapshot outlives its sandbox (whose row stays as history anyway) */
    sandboxId: text('sandbox_id').notNull(),
    name: text('name'),
    /** Creating | Ready | Failed | Deleting */
    state: text('state').notNull(),
    reason: text('reason'),
    message: text('message'),
    lastTransitionAt: timestamp('last_transition_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** the tag berth gives the committed image (repo:tag); set at insert, so a crash can still find it */
    imageRef: text('image_ref').notNull(),
    /** the engine's image id (sha256:...), once the commit returned */
    imageId: text('image_id'),
    /** the engine the image lives on */
    hostId: text('host_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** which server process runs the commit or the image removal, and until when */
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // list: newest first
    index('snapshots_created_idx').on(t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('snapshots_sandbox_idx').on(t.sandboxId),
    // reaper: in-flight rows only
    index('snapshots_in_flight_idx')
      .on(t.state)
      .where(sql`${t.state} in ('Creating', 'Deleting')`),
  ],
);

export type SnapshotRow = typeof snapshots.$inferSelect;
