import { and, eq, isNotNull } from 'drizzle-orm';
import { sandboxes, sandboxVolumes } from '../../../db/schema/index.js';
import type { MountDeps } from '../mount-deps.js';
import { dropSandboxRefs } from './drop-refs.js';
import { isOurs } from '../pvc-volume.js';
import { unmountUnreferenced } from './terminal-release.js';

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
 * Drop a sandbox's references (call it once its container is gone; idempotent). One autocommitted
 * statement that locks nothing shared deletes them and says, per mount, whether another reference is
 * plainly still there, so the releases of a busy shared mount never queue behind one another and cost one
 * round trip (shared with the releases in flight at the same moment: drop-refs.ts). A reference counts as
 * "still there" only when no one is deleting it (its xmax is unset): of racing releases of a mount's last
 * references, the one that deleted last finds every other one already marked and asks claimUnreferenced,
 * which waits for those deletes and decides under its locks. A reference that looks gone but is not (a
 * locker, a rolled-back delete) only costs that locked check.
 */
export async function releaseSandboxVolumes(deps: MountDeps, sandboxId: string, opts: ReleaseOptions, actor = 'ledger'): Promise<void> {
  const dropped = await dropSandboxRefs(deps.db, sandboxId);
  await unmountUnreferenced(
    deps,
    dropped.filter((r) => !r.held).map((r) => r.mountId),
    actor,
  );
  if (!opts.removeManaged) return;
  const [sbx] = await deps.db.select({ state: sandboxes.state }).from(sandboxes).where(eq(sandboxes.id, sandboxId));
  await removeManagedVolumes(deps, sandboxId, opts.createFailed ?? sbx?.state === 'Pending');
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
