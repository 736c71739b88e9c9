import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** The spec's state names, the one copy: the column is typed with them, the API enums and the domain read them. */
export const SANDBOX_STATES = ['Pending', 'Running', 'Pausing', 'Paused', 'Resuming', 'Stopping', 'Terminated', 'Failed'] as const;
export type SandboxState = (typeof SANDBOX_STATES)[number];

/**
 * A sandbox's row is its record: intent (image, entrypoint, limits, metadata, TTL) and observed state.
 * Deleted and expired sandboxes keep their row as history (deletedAt set) and answer 404 on the API.
 */
export const sandboxes = pgTable(
  'sandboxes',
  {
    id: text('id').primaryKey(),
    state: text('state').$type<SandboxState>().notNull(),
    reason: text('reason'),
    message: text('message'),
    lastTransitionAt: timestamp('last_transition_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** the image the container runs; for a snapshot restore, the snapshot's image tag */
    image: text('image').notNull(),
    /** set when the sandbox was restored from a snapshot (GET answers snapshotId instead of image) */
    snapshotId: text('snapshot_id'),
    entrypoint: jsonb('entrypoint').$type<string[]>().notNull(),
    env: jsonb('env').$type<Record<string, string>>().notNull().default({}),
    resourceLimits: jsonb('resource_limits').$type<Record<string, string>>().notNull().default({}),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    extensions: jsonb('extensions').$type<Record<string, string>>().notNull().default({}),
    platform: jsonb('platform').$type<{ os: string; arch: string } | null>(),
    timeoutSeconds: integer('timeout_seconds'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
    containerId: text('container_id'),
    containerName: text('container_name').notNull(),
    hostId: text('host_id').notNull(),
    /** container port -> published host port, read back after start */
    ports: jsonb('ports').$type<Record<string, number>>().notNull().default({}),
    /** Which server process owns an in-flight transition (create/delete), and until when. */
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    exitCode: integer('exit_code'),
    /** the warm pool the sandbox was claimed from (null: a cold create), for the pool's maxSandboxes ceiling */
    poolName: text('pool_name'),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // list: live rows, newest first
    index('sandboxes_live_created_idx')
      .on(t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.deletedAt} is null`),
    // reaper: live rows with a TTL
    index('sandboxes_expiry_idx')
      .on(t.expiresAt)
      .where(sql`${t.deletedAt} is null and ${t.expiresAt} is not null`),
    // list metadata filter: metadata @> '{"k":"v"}'
    index('sandboxes_metadata_idx').using('gin', sql`${t.metadata} jsonb_path_ops`),
    index('sandboxes_container_idx').on(t.containerId),
    // pool ceiling: live sandboxes claimed from a pool
    index('sandboxes_pool_idx')
      .on(t.poolName)
      .where(sql`${t.poolName} is not null and ${t.deletedAt} is null`),
    // snapshot delete: is a live sandbox still running from it?
    index('sandboxes_snapshot_idx')
      .on(t.snapshotId)
      .where(sql`${t.snapshotId} is not null`),
  ],
);

export type SandboxRow = typeof sandboxes.$inferSelect;
export type NewSandboxRow = typeof sandboxes.$inferInsert;

/** One row: the deployment's identity, generated at first boot and shared by every process on this database. */
export const serverSettings = pgTable('server_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
