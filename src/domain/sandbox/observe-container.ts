import { and, eq, inArray, isNull } from 'drizzle-orm';
import { sandboxes } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { appendEvent } from '../events/append.js';
import { LABELS, type ContainerEvent } from '../ports.js';
import { withTx } from '../../db/tx.js';
import { LIVE_WITH_CONTAINER, stateForExit } from './states.js';

type ObserveDeps = Pick<Deps, 'db' | 'clock' | 'ids' | 'log' | 'volumes'>;

/**
 * What Docker tells us happened to a container, applied to its row. Only news is recorded: a container
 * that exits or disappears while berth itself is stopping it (state Stopping) is berth's own doing.
 * A sandbox that ends up Terminated or Failed this way has no running container, so it gives up its mount
 * references in the same transaction (a stopped or removed container cannot use a mount; berth never
 * restarts one), and what nothing references any more is unmounted after the commit. A later DELETE
 * releases again, which finds nothing left to drop.
 */
export async function observeContainerEvent(deps: ObserveDeps, e: ContainerEvent): Promise<void> {
  const sandboxId = e.labels[LABELS.sandboxId];
  if (!sandboxId) return;
  if (e.action === 'die') await recordExit(deps, sandboxId, e.containerId, e.exitCode, 'docker-events');
  else if (e.action === 'destroy') await recordRemoved(deps, sandboxId, e.containerId, 'docker-events');
}

export async function recordExit(deps: ObserveDeps, sandboxId: string, containerId: string, exitCode: number | null, actor: string) {
  const next = stateForExit(exitCode);
  const released = await withTx(deps.db, async (tx) => {
    const now = deps.clock.now();
    const [row] = await tx
      .select({ state: sandboxes.state })
      .from(sandboxes)
      .where(
        and(
          eq(sandboxes.id, sandboxId),
          eq(sandboxes.containerId, containerId),
          isNull(sandboxes.deletedAt),
          inArray(sandboxes.state, [...LIVE_WITH_CONTAINER]),
        ),
      )
      .for('update');
    if (!row) return null;
    await tx
      .update(sandboxes)
      .set({ ...next, exitCode, lastTransitionAt: now, updatedAt: now })
      .where(eq(sandboxes.id, sandboxId));
    await appendEvent(tx, deps, {
      type: next.state === 'Terminated' ? 'sandbox.terminated' : 'sandbox.failed',
      sandboxId,
      fromState: row.state,
      toState: next.state,
      reason: next.reason,
      actor,
      data: { exitCode },
    });
    return deps.volumes.dropReferences(tx, sandboxId);
  });
  // Only news is logged: the exit of a container berth is stopping itself matches no row above.
  if (!released) return;
  deps.log.info({ sandboxId, exitCode, state: next.state }, 'sandbox container exited');
  await deps.volumes.unmountUnreferenced(released, actor);
}

export async function recordRemoved(deps: ObserveDeps, sandboxId: string, containerId: string, actor: string) {
  const released = await withTx(deps.db, async (tx) => {
    const now = deps.clock.now();
    const [row] = await tx
      .select({ state: sandboxes.state })
      .from(sandboxes)
      .where(and(eq(sandboxes.id, sandboxId), eq(sandboxes.containerId, containerId), isNull(sandboxes.deletedAt)))
      .for('update');
    // Stopping and Pending are berth's own in-flight work; those finish through their own path.
    if (!row || row.state === 'Stopping' || row.state === 'Pending') return null;
    const wasFinished = row.state === 'Terminated' || row.state === 'Failed';
    await tx
      .update(sandboxes)
      .set({
        state: wasFinished ? row.state : 'Failed',
        reason: 'container_removed',
        message: 'Sandbox container was removed outside berth.',
        containerId: null,
        ports: {},
        lastTransitionAt: now,
        updatedAt: now,
      })
      .where(eq(sandboxes.id, sandboxId));
    await appendEvent(tx, deps, {
      type: 'sandbox.failed',
      sandboxId,
      fromState: row.state,
      toState: wasFinished ? row.state : 'Failed',
      reason: 'container_removed',
      actor,
    });
    return deps.volumes.dropReferences(tx, sandboxId);
  });
  if (!released) return;
  deps.log.warn({ sandboxId, containerId }, 'sandbox container was removed outside berth');
  await deps.volumes.unmountUnreferenced(released, actor);
}
