import { sql } from 'drizzle-orm';
import type { Db } from '../../ports.js';
import type { MountDeps } from '../mount-deps.js';
import { runOwnedUnmount } from './mount-flow.js';
import { rowsOf } from './mount-rows.js';
import { claimUnreferenced } from './unreferenced.js';

/**
 * A reference is held only by a sandbox whose container can still use the mount. A sandbox that reached
 * Terminated or Failed with no running container (it exited, or was removed outside berth) drops its
 * references here, inside the caller's transaction that records that state, so the row never says
 * "finished" while still holding a mount (nor the other way round). Returns the mounts that may now be
 * unreferenced; the caller hands them to `unmountUnreferenced` once that transaction has committed.
 *
 * `held` follows drop-refs.ts: another reference counts only when nobody is deleting it (xmax unset), so
 * of racing releases of a mount's last references the last one always asks claimUnreferenced, which waits
 * for the other deletes and decides under its locks. Deleting our own rows locks nothing shared.
 */
export async function dropReferencesInTx(tx: Db, sandboxId: string): Promise<string[]> {
  const rows = rowsOf<{ mount_id: string; held: boolean }>(
    await tx.execute(sql`with dropped as (delete from mount_refs where sandbox_id = ${sandboxId} returning mount_id)
      select d.mount_id,
             exists (select 1 from mount_refs r where r.mount_id = d.mount_id and r.sandbox_id <> ${sandboxId} and r.xmax = 0) as held
      from dropped d`),
  );
  return rows.filter((r) => !r.held).map((r) => r.mount_id);
}

/**
 * After the commit that dropped references: unmount those of these mounts that a locked, fresh check finds
 * unreferenced (claimUnreferenced, the only way into `unmounting`: DESIGN.md invariant 1). A crash before
 * this runs leaves an unreferenced mount, which the mount reconciler claims the same way.
 */
export async function unmountUnreferenced(deps: MountDeps, mountIds: string[], actor: string): Promise<void> {
  if (mountIds.length === 0) return;
  const toUnmount = await claimUnreferenced(deps, mountIds, { skipLocked: false });
  await Promise.all(toUnmount.map((u) => runOwnedUnmount(deps, u.id, u.token, actor)));
}
