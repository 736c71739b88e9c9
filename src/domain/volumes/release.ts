import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import { mountRefs, mounts, sandboxes, sandboxVolumes } from '../../adapters/postgres/schema/index.js';
import { withTx } from '../tx.js';
import { leaseIsDead, leaseUntil, newToken } from './lease.js';
import type { MountDeps } from './mount-deps.js';
import { runOwnedUnmount } from './mount-flow.js';
import { countRefs } from './mount-rows.js';
import { isOurs } from './pvc-volume.js';
import { MOUNT_LEASE_MS } from './states.js';

export type ReleaseOptions = {
  /** remove the Docker volumes berth created for this sandbox (pvc createIfNotExists) */
  removeManaged: boolean;
  /**
   * The create failed: remove every volume it created, not only deleteOnSandboxTermination ones (upstream
   * removes them on a failed create too). Default: true while the sandbox row is still Pending.
   */
  createFailed?: boolean;
};

/**
 * Drop a sandbox's references (call it once its container is gone; idempotent). tx1 locks the mounts it
 * referenced (FOR UPDATE, identity order), deletes the references and marks every mount left with zero
 * references `unmounting` under our token; the unmounts run after the commit and settle in tx2. A mount
 * still being mounted is left to its owner, whose settle sees zero references and unmounts it.
 */
export async function releaseSandboxVolumes(deps: MountDeps, sandboxId: string, opts: ReleaseOptions, actor = 'ledger'): Promise<void> {
  const { toUnmount, createFailed } = await withTx(deps.db, async (tx) => {
    const [sbx] = await tx.select({ state: sandboxes.state }).from(sandboxes).where(eq(sandboxes.id, sandboxId));
    const refs = await tx.select({ mountId: mountRefs.mountId }).from(mountRefs).where(eq(mountRefs.sandboxId, sandboxId));
    const out: { id: string; token: string }[] = [];
    if (refs.length > 0) {
      const locked = await tx
        .select()
        .from(mounts)
        .where(inArray(mounts.id, refs.map((r) => r.mountId)))
        .orderBy(mounts.identityKey)
        .for('update');
      await tx.delete(mountRefs).where(eq(mountRefs.sandboxId, sandboxId));
      const now = deps.clock.now();
      for (const row of locked) {
        if ((await countRefs(tx, row.id)) > 0) continue;
        const idle = row.state === 'mounted' || row.state === 'failed' || row.state === 'absent';
        if (!idle && !(row.state === 'mounting' && leaseIsDead(deps, row))) continue;
        const token = newToken(deps.processId);
        await tx
          .update(mounts)
          .set({ state: 'unmounting', leaseOwner: token, leaseUntil: leaseUntil(deps, MOUNT_LEASE_MS), updatedAt: now })
          .where(eq(mounts.id, row.id));
        out.push({ id: row.id, token });
      }
    }
    return { toUnmount: out, createFailed: opts.createFailed ?? sbx?.state === 'Pending' };
  });
  await Promise.all(toUnmount.map((u) => runOwnedUnmount(deps, u.id, u.token, actor)));
  if (opts.removeManaged) await removeManagedVolumes(deps, sandboxId, createFailed);
}

async function removeManagedVolumes(deps: MountDeps, sandboxId: string, createFailed: boolean): Promise<void> {
  const rows = await deps.db
    .select()
    .from(sandboxVolumes)
    .where(and(eq(sandboxVolumes.sandboxId, sandboxId), isNotNull(sandboxVolumes.managedVolume)));
  for (const row of rows) {
    const deleteOnEnd = (row.spec as { deleteOnSandboxTermination?: boolean }).deleteOnSandboxTermination === true;
    if (!createFailed && !deleteOnEnd) continue;
    const name = row.managedVolume!;
    try {
      const info = await deps.runtime.inspectVolume(name);
      // A volume berth did not create for this sandbox is never removed (someone else's, or a race winner's).
      if (info && isOurs(info, deps.instanceId, sandboxId)) await deps.runtime.removeVolume(name);
      await deps.db
        .update(sandboxVolumes)
        .set({ managedVolume: null })
        .where(and(eq(sandboxVolumes.sandboxId, sandboxId), eq(sandboxVolumes.name, row.name)));
    } catch (err) {
      // Most likely still in use by another sandbox (Docker answers 409): keep it recorded, log, go on.
      deps.log.warn({ sandboxId, volume: name, err: String((err as Error)?.message ?? err) }, 'managed volume not removed');
    }
  }
}
