import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { mountRefs, mounts } from '../../adapters/postgres/schema/index.js';
import type { Db } from '../ports.js';
import { LIVE_STATES } from './states.js';

export type MountRow = typeof mounts.$inferSelect;

export async function loadMount(db: Db, id: string): Promise<MountRow | null> {
  const [row] = await db.select().from(mounts).where(eq(mounts.id, id));
  return row ?? null;
}

/** The reference count: always derived from the rows (invariant 2), never a stored counter. */
export async function countRefs(tx: Db, mountId: string): Promise<number> {
  const [r] = await tx.select({ n: count() }).from(mountRefs).where(eq(mountRefs.mountId, mountId));
  return Number(r?.n ?? 0);
}

export const isLive = inArray(mounts.state, [...LIVE_STATES]);

/** The arbiter of the live-identity unique index (schema/mounts.ts); must repeat its predicate exactly. */
export const LIVE_INDEX_WHERE = sql`${mounts.state} in ('absent', 'mounting', 'mounted', 'failed')`;

export const liveByIdentity = (identityKey: string) => and(eq(mounts.identityKey, identityKey), isLive);
