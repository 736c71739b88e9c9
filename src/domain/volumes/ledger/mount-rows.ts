import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { liveMountStatePredicate, mountRefs, mounts } from '../../../db/schema/index.js';
import type { Db } from '../../ports.js';
import { LOCK_KEYS } from '../../../db/locks.js';
import { rowsOf } from '../../../db/rows.js';
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
export const LIVE_INDEX_WHERE = liveMountStatePredicate(mounts.state);

export const liveByIdentity = (identityKey: string) => and(eq(mounts.identityKey, identityKey), isLive);

/**
 * A text[] parameter that postgres.js and PGlite both bind the same way: a Postgres array literal, every
 * element quoted (so commas, braces, spaces and NULL-looking strings stay plain text).
 */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

// Re-exported: the ledger's modules (and their tests) take it from here with the other row helpers.
export { rowsOf };

/**
 * Which of these mounts still have at least one reference (an index probe each; no full count).
 * waitForDeletes: a reference nobody is deleting (xmax unset) counts at once; otherwise one is locked
 * FOR KEY SHARE, which waits for a delete in flight and skips the row once that delete commits.
 */
export async function referencedAmong(db: Db, mountIds: string[], opts: { waitForDeletes?: boolean } = {}): Promise<Set<string>> {
  if (mountIds.length === 0) return new Set();
  const values = sql.join(
    [...new Set(mountIds)].map((id) => sql`(${id})`),
    sql`, `,
  );
  const rows = rowsOf<{ id: string }>(
    await db.execute(
      opts.waitForDeletes
        ? sql`select v.id from (values ${values}) as v(id)
              where exists (select 1 from ${mountRefs} r where r.mount_id = v.id and r.xmax = 0)
                 or exists (select 1 from ${mountRefs} r where r.mount_id = v.id limit 1 for key share)`
        : sql`select v.id from (values ${values}) as v(id)
              where exists (select 1 from ${mountRefs} r where r.mount_id = v.id)`,
    ),
  );
  return new Set(rows.map((r) => r.id));
}

const IDENTITY_LOCK_NS = LOCK_KEYS.mountIdentityNamespace;

/**
 * A create joining a mount takes the identity's lock shared; whoever may move a mount to unmounting takes
 * it exclusive. Joins never wait for each other, a release deciding "zero references" waits for every
 * join in flight to commit, and a join arriving after that finds the mount unmounting. Advisory locks
 * live in memory: unlike row locks they write nothing to the shared row, so a busy mount does not queue
 * its joiners on one tuple.
 */
export async function lockIdentitiesShared(tx: Db, identityKeys: string[]): Promise<void> {
  for (const k of [...new Set(identityKeys)].sort()) await tx.execute(sql`select pg_advisory_xact_lock_shared(${IDENTITY_LOCK_NS}, hashtext(${k}))`);
}

export async function lockIdentitiesExclusive(tx: Db, identityKeys: string[]): Promise<void> {
  for (const k of [...new Set(identityKeys)].sort()) await tx.execute(sql`select pg_advisory_xact_lock(${IDENTITY_LOCK_NS}, hashtext(${k}))`);
}
