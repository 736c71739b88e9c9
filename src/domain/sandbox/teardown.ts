import { and, eq, isNull } from 'drizzle-orm';
import { sandboxes, sandboxVolumes } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { appendEvent } from '../events/append.js';
import type { EventType } from '../events/types.js';
import { withTx } from '../../db/tx.js';

type TeardownDeps = Pick<Deps, 'db' | 'runtime' | 'volumes' | 'clock' | 'ids' | 'log'>;

/**
 * The end of a sandbox that existed (delete, expiry, abandoned delete): container first, then the volume
 * references (a mount is only released once no container can still be using it), then the row is
 * marked Terminated + deleted as history. Every step is idempotent, so a crash anywhere is finished by
 * whoever claims the row next.
 */
export async function finishTeardown(
  deps: TeardownDeps,
  row: { id: string; containerId: string | null; fromState: string },
  how: { reason: string; message: string; event: EventType; actor: string },
): Promise<void> {
  if (row.containerId) await deps.runtime.remove(row.containerId);
  await deps.volumes.release(row.id, { removeManaged: true });
  const now = deps.clock.now();
  await withTx(deps.db, async (tx) => {
    const [done] = await tx
      .update(sandboxes)
      .set({
        state: 'Terminated',
        reason: how.reason,
        message: how.message,
        lastTransitionAt: now,
        deletedAt: now,
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: now,
      })
      .where(and(eq(sandboxes.id, row.id), isNull(sandboxes.deletedAt)))
      .returning({ id: sandboxes.id });
    if (done)
      await appendEvent(tx, deps, {
        type: how.event,
        sandboxId: row.id,
        fromState: row.fromState,
        toState: 'Terminated',
        reason: how.reason,
        actor: how.actor,
      });
  });
}

/**
 * A create that failed after its row was inserted: nothing of it may stay behind. The row goes too (it
 * never became a sandbox anyone saw); the sandbox.failed event is the history.
 */
export async function discardFailedSandbox(
  deps: TeardownDeps,
  row: { id: string; containerId: string | null },
  how: { reason: string; actor: string },
): Promise<void> {
  if (row.containerId) await deps.runtime.remove(row.containerId);
  await deps.volumes.release(row.id, { removeManaged: true, createFailed: true });
  await withTx(deps.db, async (tx) => {
    await tx.delete(sandboxVolumes).where(eq(sandboxVolumes.sandboxId, row.id));
    const [gone] = await tx.delete(sandboxes).where(eq(sandboxes.id, row.id)).returning({ id: sandboxes.id });
    if (gone)
      await appendEvent(tx, deps, { type: 'sandbox.failed', sandboxId: row.id, fromState: 'Pending', toState: 'Failed', reason: how.reason, actor: how.actor });
  });
}
