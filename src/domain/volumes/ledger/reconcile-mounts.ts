import { and, eq, inArray, isNotNull, ne, or } from 'drizzle-orm';
import { mountRefs, mounts, sandboxes } from '../../../db/schema/index.js';
import { leaseIsDead } from '../../lease.js';
import { FINISHED } from '../../sandbox/states.js';
import type { MountDeps } from '../mount-deps.js';
import { runOwnedMount, runOwnedUnmount, takeOver } from './mount-flow.js';
import type { MountRow } from './mount-rows.js';
import { releaseSandboxVolumes } from './release.js';
import { FAILED_RETRY_MS } from './states.js';
import { claimUnreferenced } from './unreferenced.js';

export type MountReconcileReport = {
  releasedSandboxes: number;
  unmounted: number;
  mounted: number;
  orphansRemoved: number;
  errors: number;
};

/**
 * Converge this host's ledger with the kernel (DESIGN.md invariant 5), at boot before serving and then
 * periodically. Call it after the sandbox reconciler has settled abandoned creates and deletes.
 *  1. drop the references of sandboxes that are deleted and whose container is gone, and of those that
 *     ended (Terminated, Failed) with no running container (rows an older version left holding a mount);
 *  2. per live mount row: finish or take over a dead owner's work, unmount what nothing references,
 *     remount what is referenced but missing or dead (from the sealed credentials);
 *  3. unmount FUSE mounts under the root that no live row owns, and remove leftover directories.
 * Only a transaction that saw zero references under FOR UPDATE ever leads to an unmount.
 */
export async function reconcileMountsOnce(deps: MountDeps, actor = 'reconciler'): Promise<MountReconcileReport> {
  const report: MountReconcileReport = { releasedSandboxes: 0, unmounted: 0, mounted: 0, orphansRemoved: 0, errors: 0 };
  const hostId = deps.config.hostId;

  const gone = await deps.db
    .selectDistinct({ sandboxId: mountRefs.sandboxId, containerId: sandboxes.containerId, deletedAt: sandboxes.deletedAt })
    .from(mountRefs)
    .innerJoin(mounts, eq(mounts.id, mountRefs.mountId))
    .innerJoin(sandboxes, eq(sandboxes.id, mountRefs.sandboxId))
    .where(and(eq(mounts.hostId, hostId), or(isNotNull(sandboxes.deletedAt), inArray(sandboxes.state, [...FINISHED]))));
  for (const s of gone) {
    try {
      const container = s.containerId ? await deps.runtime.inspect(s.containerId) : null;
      // Never release under a container that still exists: the sandbox reconciler removes it first. A
      // finished sandbox keeps its stopped container until it is deleted; only a running one (started
      // again outside berth) can still use the mount.
      if (container && (s.deletedAt !== null || container.running)) continue;
      await releaseSandboxVolumes(deps, s.sandboxId, { removeManaged: false }, actor);
      report.releasedSandboxes++;
    } catch (err) {
      report.errors++;
      deps.log.warn({ sandboxId: s.sandboxId, err: String(err) }, 'mount reconcile: release failed');
    }
  }

  await deps.mounter.prepareRoot();
  // The kernel first, then the rows: a mount listed here was made after its row committed, so the rows
  // read next include it, and a fresh mount is never taken for an orphan.
  const physical = await deps.mounter.scanRoot();
  const rows = await deps.db
    .select()
    .from(mounts)
    .where(and(eq(mounts.hostId, hostId), ne(mounts.state, 'unmounted')));
  for (const row of rows) {
    try {
      await reconcileRow(deps, row, actor, report);
    } catch (err) {
      report.errors++;
      deps.log.warn({ mountId: row.id, err: String(err) }, 'mount reconcile: row failed');
    }
  }

  const owned = new Set(rows.map((r) => r.hostPath));
  for (const path of [...physical.mounted, ...physical.dirs.filter((d) => !physical.mounted.includes(d))]) {
    if (owned.has(path)) continue;
    try {
      await deps.mounter.unmount(path, '2.0');
      if (physical.mounted.includes(path)) report.orphansRemoved++;
    } catch (err) {
      report.errors++;
      deps.log.warn({ path, err: String(err) }, 'mount reconcile: orphan not removed');
    }
  }
  if (report.unmounted + report.mounted + report.orphansRemoved + report.releasedSandboxes + report.errors > 0) deps.log.info({ ...report }, 'mount reconcile');
  return report;
}

async function reconcileRow(deps: MountDeps, row: MountRow, actor: string, report: MountReconcileReport): Promise<void> {
  if (row.state === 'unmounting') {
    if (!leaseIsDead(deps, row)) return;
    const token = await takeOver(deps, row.id, ['unmounting'], { actor, to: 'unmounting' });
    if (token && (await runOwnedUnmount(deps, row.id, token, actor))) report.unmounted++;
    return;
  }
  if (row.state === 'mounting' && !leaseIsDead(deps, row)) return;

  const [claimed] = await claimUnreferenced(deps, [row.id], { skipLocked: true });
  if (claimed) {
    if (await runOwnedUnmount(deps, row.id, claimed.token, actor)) report.unmounted++;
    return;
  }

  let token: string | null = null;
  if (row.state === 'mounting' || row.state === 'absent') {
    token = await takeOver(deps, row.id, [row.state], { actor });
  } else if (row.state === 'failed') {
    if (deps.clock.now().getTime() - row.updatedAt.getTime() >= FAILED_RETRY_MS) token = await takeOver(deps, row.id, ['failed'], { actor });
  } else if (row.state === 'mounted') {
    const probe = await deps.mounter.probe(row.hostPath);
    if (probe.state === 'mounted') return;
    if (probe.state === 'foreign') {
      deps.log.warn({ mountId: row.id, hostPath: row.hostPath }, 'mount reconcile: something other than FUSE is mounted at a ledger path');
      return;
    }
    token = await takeOver(deps, row.id, ['mounted'], {
      actor,
      degraded: { reason: probe.state === 'dead' ? 'fuse_dead' : 'mount_missing', detail: probe.detail },
      expectUpdatedAt: row.updatedAt,
    });
  }
  if (!token) return;
  await runOwnedMount(deps, row.id, token, null, actor);
  report.mounted++;
}
