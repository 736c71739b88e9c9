import { sql } from 'drizzle-orm';
import { type AnyPgColumn, boolean, index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { sandboxes } from './sandboxes.js';

/** Every state of a mounts row, and the live ones (a reference may be added; one per identity). The one copy. */
export const MOUNT_STATES = ['absent', 'mounting', 'mounted', 'failed', 'unmounting', 'unmounted'] as const;
export const LIVE_MOUNT_STATES = ['absent', 'mounting', 'mounted', 'failed'] as const;
export type MountState = (typeof MOUNT_STATES)[number];

/** `state in ('absent', ...)`, spelled from LIVE_MOUNT_STATES (the unique index and its ON CONFLICT arbiter must match). */
export const liveMountStatePredicate = (state: AnyPgColumn) => sql`${state} in (${sql.raw(LIVE_MOUNT_STATES.map((s) => `'${s}'`).join(', '))})`;

/**
 * One host-side mount shared by every sandbox volume that resolves to the same identity (DESIGN.md,
 * "The mount ledger"). identityKey is a hash over backend, endpoint, bucket, prefix, version, options and
 * a keyed fingerprint of the credentials: different identity, different row and different path.
 *
 * A row is one generation of a mount: absent -> mounting -> mounted -> unmounting -> unmounted (history).
 * Only live generations (not unmounting/unmounted) are unique per identity, so an acquirer that finds
 * the identity being unmounted starts a new generation at its own path instead of joining the old one.
 */

export const mounts = pgTable(
  'mounts',
  {
    id: text('id').primaryKey(),
    identityKey: text('identity_key').notNull(),
    backend: text('backend').notNull(),
    /** Non-secret description: endpoint, bucket, prefix, version, options. */
    spec: jsonb('spec').$type<Record<string, unknown>>().notNull(),
    credentialFingerprint: text('credential_fingerprint'),
    /** AES-256-GCM blob of the credentials, so the reconciler can remount after a crash. */
    credentialsEnc: text('credentials_enc'),
    hostPath: text('host_path').notNull().unique(),
    /** absent | mounting | mounted | failed | unmounting | unmounted */
    state: text('state').notNull(),
    /** ok | degraded */
    health: text('health').notNull().default('ok'),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    lastError: text('last_error'),
    hostId: text('host_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('mounts_state_idx').on(t.state),
    // The ledger's ON CONFLICT names this predicate (LIVE_INDEX_WHERE); the migrations spell it out and
    // test/unit/mount-states.test.ts compares them.
    uniqueIndex('mounts_live_identity_uq').on(t.identityKey).where(liveMountStatePredicate(t.state)),
  ],
);

/**
 * The reference count is count(*) of these rows; never a counter that can drift.
 * mount_id has no foreign key on purpose (nor has sandbox_volumes.mount_id): a foreign key check takes
 * FOR KEY SHARE on the mount row, so every create joining a busy shared mount would queue on that one row
 * (measured: half the throughput at 8 clients). The ledger serialises with advisory locks instead
 * (domain/volumes/mount-rows.ts) and never deletes a mount row (unmounted rows stay as history).
 */
export const mountRefs = pgTable(
  'mount_refs',
  {
    mountId: text('mount_id').notNull(),
    sandboxId: text('sandbox_id')
      .notNull()
      .references(() => sandboxes.id),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.mountId, t.sandboxId] }), index('mount_refs_sandbox_idx').on(t.sandboxId)],
);

/** A sandbox's volumes as requested (secrets removed), with what berth made for them. */
export const sandboxVolumes = pgTable(
  'sandbox_volumes',
  {
    sandboxId: text('sandbox_id')
      .notNull()
      .references(() => sandboxes.id),
    name: text('name').notNull(),
    backend: text('backend').notNull(),
    mountPath: text('mount_path').notNull(),
    readOnly: boolean('read_only').notNull().default(false),
    subPath: text('sub_path'),
    spec: jsonb('spec').$type<Record<string, unknown>>().notNull(),
    mountId: text('mount_id'),
    /** pvc: the Docker volume berth created and must remove when the sandbox ends */
    managedVolume: text('managed_volume'),
  },
  (t) => [
    primaryKey({ columns: [t.sandboxId, t.name] }),
    index('sandbox_volumes_managed_idx')
      .on(t.managedVolume)
      .where(sql`${t.managedVolume} is not null`),
  ],
);
