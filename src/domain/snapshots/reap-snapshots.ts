import { and, eq, inArray } from 'drizzle-orm';
import { snapshots } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { appendEvent } from '../events/append.js';
import { leaseIsDead, leaseUntil, newToken } from '../lease.js';
import { withTx } from '../../db/tx.js';
import { SNAPSHOT_LEASE_MS } from './create-snapshot.js';
import { finishDelete, restore } from './delete-snapshot.js';

type ReapDeps = Pick<Deps, 'db' | 'runtime' | 'clock' | 'ids' | 'log' | 'config' | 'processId'>;

export type SnapshotReapResult = { failedCreates: number; finishedDeletes: number };

/**
 * Snapshots whose commit or image removal lost its owner (a crash, a SIGKILL, a lease that ran out), on
 * this host's engine: a Creating row becomes Failed after its half-made image is removed; a Deleting row
 * is deleted after its image is. Each row is claimed (our lease, SKIP LOCKED) before any engine call, so
 * two processes never work on one row; every step is idempotent, so a crash here is finished next pass.
 * Run at boot and with the reaper.
 */
export async function reapSnapshotsOnce(deps: ReapDeps): Promise<SnapshotReapResult> {
  const inFlight = await deps.db
    .select({ id: snapshots.id, leaseOwner: snapshots.leaseOwner, leaseUntil: snapshots.leaseUntil })
    .from(snapshots)
    .where(and(eq(snapshots.hostId, deps.config.hostId), inArray(snapshots.state, ['Creating', 'Deleting'])));
  const result: SnapshotReapResult = { failedCreates: 0, finishedDeletes: 0 };
  for (const candidate of inFlight.filter((r) => leaseIsDead(deps, r))) {
    const token = newToken(deps.processId);
    const claimed = await withTx(deps.db, async (tx) => {
      const [s] = await tx
        .select()
        .from(snapshots)
        .where(and(eq(snapshots.id, candidate.id), inArray(snapshots.state, ['Creating', 'Deleting'])))
        .for('update', { skipLocked: true });
      // Someone else claimed or settled it since the scan.
      if (!s || s.leaseOwner !== candidate.leaseOwner) return null;
      await tx
        .update(snapshots)
        .set({ leaseOwner: token, leaseUntil: leaseUntil(deps, SNAPSHOT_LEASE_MS) })
        .where(eq(snapshots.id, s.id));
      return s;
    });
    if (!claimed) continue;
    try {
      const removed = await deps.runtime.removeImage(claimed.imageRef);
      if (claimed.state === 'Deleting') {
        if (removed === 'in_use') await restore(deps, { ...claimed, state: 'Ready', reason: 'snapshot_ready', message: 'Snapshot is ready.' }, token);
        else {
          await finishDelete(deps, claimed, token, 'reaper');
          result.finishedDeletes++;
        }
        continue;
      }
      await withTx(deps.db, async (tx) => {
        const now = deps.clock.now();
        const [r] = await tx
          .update(snapshots)
          .set({
            state: 'Failed',
            reason: 'snapshot_interrupted',
            message: 'Snapshot capture was interrupted (the server doing it stopped).',
            lastTransitionAt: now,
            leaseOwner: null,
            leaseUntil: null,
            updatedAt: now,
          })
          .where(and(eq(snapshots.id, claimed.id), eq(snapshots.leaseOwner, token)))
          .returning({ id: snapshots.id });
        if (r)
          await appendEvent(tx, deps, {
            type: 'snapshot.failed',
            sandboxId: claimed.sandboxId,
            fromState: 'Creating',
            toState: 'Failed',
            reason: 'snapshot_interrupted',
            actor: 'reaper',
            data: { snapshotId: claimed.id },
          });
      });
      result.failedCreates++;
    } catch (err) {
      // Our lease lapses and a later pass retries.
      deps.log.error({ snapshotId: claimed.id, err: String(err) }, 'reaper could not finish a snapshot');
    }
  }
  if (result.failedCreates + result.finishedDeletes > 0) deps.log.info({ ...result }, 'snapshot reaper pass');
  return result;
}
