import { and, eq, isNull } from 'drizzle-orm';
import { sandboxes, snapshots, type SnapshotRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { conflict } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { leaseUntil, newToken } from '../lease.js';
import { withTx } from '../../db/tx.js';
import { SNAPSHOT_LEASE_MS } from './create-snapshot.js';
import { assertDeletable, snapshotNotFound } from './rules.js';

type DeleteDeps = Pick<Deps, 'db' | 'runtime' | 'clock' | 'ids' | 'log' | 'processId'>;

const inUse = (id: string) => conflict('SNAPSHOT::DELETE_CONFLICT', `Snapshot ${id} is still used by a sandbox restored from it; delete that sandbox first.`);

/**
 * tx1 checks the state and that no live sandbox was restored from the snapshot, and moves the row to
 * Deleting with our lease (a restore that comes later sees Deleting: NOT_READY); the image is removed
 * after that commit; tx2 deletes the row. If the engine still refuses (a container of a deleted sandbox
 * lingers), the row goes back to where it was and the answer is DELETE_CONFLICT.
 */
export async function deleteSnapshot(deps: DeleteDeps, id: string, actor: string): Promise<void> {
  const token = newToken(deps.processId);
  const before = await withTx(deps.db, async (tx) => {
    const [s] = await tx.select().from(snapshots).where(eq(snapshots.id, id)).for('update');
    if (!s) throw snapshotNotFound(id);
    assertDeletable(s);
    const [user] = await tx
      .select({ id: sandboxes.id })
      .from(sandboxes)
      .where(and(eq(sandboxes.snapshotId, id), isNull(sandboxes.deletedAt)))
      .limit(1);
    if (user) throw inUse(id);
    const now = deps.clock.now();
    await tx
      .update(snapshots)
      .set({
        state: 'Deleting',
        reason: 'snapshot_deleting',
        message: 'Snapshot is being deleted.',
        lastTransitionAt: now,
        leaseOwner: token,
        leaseUntil: leaseUntil(deps, SNAPSHOT_LEASE_MS),
        updatedAt: now,
      })
      .where(eq(snapshots.id, id));
    return s;
  });

  let outcome: Awaited<ReturnType<DeleteDeps['runtime']['removeImage']>>;
  try {
    outcome = await deps.runtime.removeImage(before.imageRef);
  } catch (err) {
    await restore(deps, before, token);
    throw err;
  }
  if (outcome === 'in_use') {
    await restore(deps, before, token);
    throw inUse(id);
  }
  await finishDelete(deps, before, token, actor);
}

/** tx2 of a delete (also the reaper's, for a delete whose owner died). */
export async function finishDelete(deps: Pick<Deps, 'db' | 'clock' | 'ids'>, s: SnapshotRow, token: string, actor: string): Promise<void> {
  await withTx(deps.db, async (tx) => {
    const [gone] = await tx
      .delete(snapshots)
      .where(and(eq(snapshots.id, s.id), eq(snapshots.leaseOwner, token)))
      .returning({ id: snapshots.id });
    if (gone)
      await appendEvent(tx, deps, {
        type: 'snapshot.deleted',
        sandboxId: s.sandboxId,
        fromState: 'Deleting',
        toState: 'Deleted',
        actor,
        data: { snapshotId: s.id },
      });
  });
}

/** Back to the state before the delete (Ready or Failed), when the image could not be removed. */
export async function restore(deps: Pick<Deps, 'db' | 'clock'>, s: SnapshotRow, token: string): Promise<void> {
  const now = deps.clock.now();
  await deps.db
    .update(snapshots)
    .set({ state: s.state, reason: s.reason, message: s.message, lastTransitionAt: now, leaseOwner: null, leaseUntil: null, updatedAt: now })
    .where(and(eq(snapshots.id, s.id), eq(snapshots.leaseOwner, token)));
}
