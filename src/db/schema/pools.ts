import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * A warm pool: a sandbox template and how many started, idle copies of it each host keeps ready. `generation`
 * goes up whenever the template changes, so idle slots made from an older template are known to be stale.
 * A deleted pool loses its row; the pool.deleted event is the history.
 */
export const pools = pgTable('pools', {
  name: text('name').primaryKey(),
  image: text('image').notNull(),
  entrypoint: jsonb('entrypoint').$type<string[]>().notNull(),
  env: jsonb('env').$type<Record<string, string>>().notNull().default({}),
  resourceLimits: jsonb('resource_limits').$type<Record<string, string>>().notNull().default({}),
  platform: jsonb('platform').$type<{ os: string; arch: string } | null>(),
  /** idle sandboxes the filler keeps started on each host */
  idleTarget: integer('idle_target').notNull(),
  /** ceiling on idle plus claimed-and-live sandboxes from this pool on a host; null = no ceiling */
  maxSandboxes: integer('max_sandboxes'),
  /** an idle sandbox older than this is replaced by a fresh one; null = kept until claimed */
  maxIdleSeconds: integer('max_idle_seconds'),
  generation: integer('generation').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});

export const POOL_SLOT_STATES = ['starting', 'idle', 'claiming'] as const;
export type PoolSlotState = (typeof POOL_SLOT_STATES)[number];

/**
 * One pre-started container of a pool on one host. Its id is the id the sandbox will have once claimed (the
 * container already carries it in its name and labels), so a claim turns the slot into a sandbox row in one
 * transaction without touching the container's identity. `starting` and `claiming` carry a lease: a slot whose
 * owner died in between is the filler's to remove. No foreign key to pools: a claim in flight outlives a delete.
 */
export const poolSlots = pgTable(
  'pool_slots',
  {
    id: text('id').primaryKey(),
    poolName: text('pool_name').notNull(),
    /** the pool's template generation the container was made from */
    generation: integer('generation').notNull(),
    state: text('state').$type<PoolSlotState>().notNull(),
    hostId: text('host_id').notNull(),
    containerName: text('container_name').notNull(),
    containerId: text('container_id'),
    ports: jsonb('ports').$type<Record<string, number>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** when the container was started and the slot became claimable */
    readyAt: timestamp('ready_at', { withTimezone: true, mode: 'date' }),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    // claim: the oldest idle slot of a pool on this host
    index('pool_slots_claim_idx')
      .on(t.poolName, t.hostId, t.readyAt)
      .where(sql`${t.state} = 'idle'`),
  ],
);

export type PoolRow = typeof pools.$inferSelect;
export type PoolSlotRow = typeof poolSlots.$inferSelect;
