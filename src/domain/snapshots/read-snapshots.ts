import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { snapshots, type SnapshotRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { canonicalStates, snapshotNotFound } from './rules.js';

export async function findSnapshot(deps: Pick<Deps, 'db'>, id: string): Promise<SnapshotRow | null> {
  const [row] = await deps.db.select().from(snapshots).where(eq(snapshots.id, id)).limit(1);
  return row ?? null;
}

export async function getSnapshot(deps: Pick<Deps, 'db'>, id: string): Promise<SnapshotRow> {
  const row = await findSnapshot(deps, id);
  if (!row) throw snapshotNotFound(id);
  return row;
}

export type ListSnapshotsInput = { sandboxId?: string; states: string[]; name?: string; page: number; pageSize: number };
export type ListSnapshotsResult = { items: SnapshotRow[]; totalItems: number };

/** Newest first; filters combine with AND, repeated states with OR (case-insensitive, as the sandbox list). */
export async function listSnapshots(deps: Pick<Deps, 'db'>, input: ListSnapshotsInput): Promise<ListSnapshotsResult> {
  const where: SQL[] = [];
  if (input.sandboxId !== undefined) where.push(eq(snapshots.sandboxId, input.sandboxId));
  if (input.name !== undefined) where.push(eq(snapshots.name, input.name));
  if (input.states.length > 0) {
    const states = canonicalStates(input.states);
    where.push(states.length > 0 ? inArray(snapshots.state, states) : sql`false`);
  }
  const filter = where.length > 0 ? and(...where) : undefined;
  const [items, [count]] = await Promise.all([
    deps.db
      .select()
      .from(snapshots)
      .where(filter)
      .orderBy(desc(snapshots.createdAt), desc(snapshots.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    deps.db
      .select({ n: sql<number>`count(*)::int` })
      .from(snapshots)
      .where(filter),
  ]);
  return { items, totalItems: count?.n ?? 0 };
}
