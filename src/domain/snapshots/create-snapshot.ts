import { and, eq, isNull } from 'drizzle-orm';
import { sandboxes, snapshots, type SnapshotRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { isDomainError, sandboxNotFound } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { leaseUntil, newToken } from '../lease.js';
import { LABELS } from '../ports.js';
import { withTx } from '../../db/tx.js';
import { assertCanSnapshot, snapshotImageRef, SNAPSHOT_REPO } from './rules.js';

/** A commit copies the container's whole filesystem diff: minutes for a big one. Longer than a create's lease. */
export const SNAPSHOT_LEASE_MS = 30 * 60_000;

type SnapshotDeps = Pick<Deps, 'db' | 'runtime' | 'clock' | 'ids' | 'log' | 'config' | 'instanceId' | 'processId'>;

export type CreateSnapshotInput = { name?: string };

/**
 * Intent -> side effect -> settle, like a sandbox create, but asynchronous as the spec says (202 Creating,
 * poll GET): tx1 checks the sandbox under a share lock and inserts the Creating row with our lease; the
 * `docker commit` runs after that commit, in the background; tx2 settles Ready or Failed. A crash in
 * between leaves a row whose lease dies with us; reapSnapshotsOnce fails it and removes a half-made image.
 * `captured` settles when the background part is done (tests await it; the HTTP handler does not).
 */
export async function createSnapshot(
  deps: SnapshotDeps,
  sandboxId: string,
  input: CreateSnapshotInput,
  actor: string,
): Promise<{ snapshot: SnapshotRow; captured: Promise<SnapshotRow | null> }> {
  const id = deps.ids.prefixed('snap');
  const token = newToken(deps.processId);
  const { row, containerId } = await withTx(deps.db, async (tx) => {
    // FOR SHARE: a delete or pause of the sandbox waits for this insert instead of racing it.
    const [sb] = await tx
      .select({ state: sandboxes.state, containerId: sandboxes.containerId })
      .from(sandboxes)
      .where(and(eq(sandboxes.id, sandboxId), isNull(sandboxes.deletedAt)))
      .for('share');
    if (!sb) throw sandboxNotFound(sandboxId);
    assertCanSnapshot(sandboxId, sb.state);
    // Running/Paused rows always have a container; a row without one is not in a state worth capturing.
    if (!sb.containerId) assertCanSnapshot(sandboxId, 'Pending');
    const now = deps.clock.now();
    const [inserted] = await tx
      .insert(snapshots)
      .values({
        id,
        sandboxId,
        name: input.name ?? null,
        state: 'Creating',
        reason: 'snapshot_accepted',
        message: 'Snapshot capture is in progress.',
        lastTransitionAt: now,
        imageRef: snapshotImageRef(id),
        hostId: deps.config.hostId,
        createdAt: now,
        leaseOwner: token,
        leaseUntil: leaseUntil(deps, SNAPSHOT_LEASE_MS),
        updatedAt: now,
      })
      .returning();
    await appendEvent(tx, deps, { type: 'snapshot.created', sandboxId, toState: 'Creating', actor, data: { snapshotId: id } });
    return { row: inserted!, containerId: sb.containerId! };
  });
  return { snapshot: row, captured: captureSnapshot(deps, row, containerId, token, actor) };
}

/** The part after tx1. Never throws: every outcome is written to the row (or left to the reaper). */
async function captureSnapshot(deps: SnapshotDeps, row: SnapshotRow, containerId: string, token: string, actor: string): Promise<SnapshotRow | null> {
  let outcome: { ok: true; imageId: string } | { ok: false; message: string };
  try {
    const { imageId } = await deps.runtime.commit(containerId, {
      repo: SNAPSHOT_REPO,
      tag: row.id,
      labels: { [LABELS.managed]: 'true', [LABELS.instance]: deps.instanceId, [LABELS.snapshotId]: row.id, [LABELS.hostId]: deps.config.hostId },
    });
    outcome = { ok: true, imageId };
  } catch (err) {
    // A DomainError's message is the adapter's clean sentence (no secrets: a commit carries no credentials).
    const message = isDomainError(err) ? err.message : 'Failed to capture the sandbox container.';
    deps.log.warn({ snapshotId: row.id, sandboxId: row.sandboxId, err: message }, 'snapshot capture failed');
    outcome = { ok: false, message };
  }

  try {
    const settled = await withTx(deps.db, async (tx) => {
      const now = deps.clock.now();
      const [r] = await tx
        .update(snapshots)
        .set(
          outcome.ok
            ? {
                state: 'Ready',
                reason: 'snapshot_ready',
                message: 'Snapshot is ready.',
                imageId: outcome.imageId,
                lastTransitionAt: now,
                leaseOwner: null,
                leaseUntil: null,
                updatedAt: now,
              }
            : {
                state: 'Failed',
                reason: 'snapshot_capture_failed',
                message: outcome.message,
                lastTransitionAt: now,
                leaseOwner: null,
                leaseUntil: null,
                updatedAt: now,
              },
        )
        // Only while the row is still ours: a reaper that took it over has already failed it.
        .where(and(eq(snapshots.id, row.id), eq(snapshots.state, 'Creating'), eq(snapshots.leaseOwner, token)))
        .returning();
      if (r)
        await appendEvent(tx, deps, {
          type: outcome.ok ? 'snapshot.ready' : 'snapshot.failed',
          sandboxId: row.sandboxId,
          fromState: 'Creating',
          toState: r.state,
          reason: r.reason,
          actor,
          data: { snapshotId: row.id },
        });
      return r ?? null;
    });
    // A failed commit may still have tagged an image; a row the reaper took over must not keep ours either.
    if (!outcome.ok || !settled) await removeQuietly(deps, row.imageRef);
    return settled;
  } catch (err) {
    deps.log.error({ snapshotId: row.id, err: String(err) }, 'could not settle the snapshot; the reaper will fail it when the lease ends');
    return null;
  }
}

async function removeQuietly(deps: Pick<Deps, 'runtime' | 'log'>, ref: string): Promise<void> {
  await deps.runtime.removeImage(ref).catch((err) => deps.log.warn({ image: ref, err: String(err) }, 'could not remove a snapshot image'));
}
