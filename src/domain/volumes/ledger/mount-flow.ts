import { eq } from 'drizzle-orm';
import { mounts } from '../../../db/schema/index.js';
import { appendEvents } from '../../events/append.js';
import type { NewEvent } from '../../events/types.js';
import { withTx } from '../../../db/tx.js';
import { mountEvent } from './events.js';
import { leaseIsDead, leaseUntil, newToken } from '../../lease.js';
import type { MountDeps } from '../mount-deps.js';
import { countRefs, loadMount, lockIdentitiesExclusive, type MountRow } from './mount-rows.js';
import { MountFailure, type OssfsCredentials, type OssfsSpec } from '../mounter-port.js';
import { clip, scrubSecrets } from '../scrub.js';
import { MOUNT_LEASE_MS } from './states.js';

/**
 * The physical half of the ledger protocol. Every step runs only for the holder of the row's lease token,
 * and every outcome is settled in a short transaction that re-reads the row under FOR UPDATE and checks the
 * token first: a process that lost its lease (it was too slow and someone took over) changes nothing.
 */
export type FlowDeps = Pick<MountDeps, 'db' | 'mounter' | 'secrets' | 'clock' | 'ids' | 'log' | 'config' | 'processId'>;

// Creates in this process that wait for a mount this process is making await it instead of polling.
const inflight = new Map<string, Promise<void>>();
export const inflightMount = (mountId: string) => inflight.get(mountId);

/** Move a row to `mounting` under our token if it is still in one of `from` (and, for leased states, the lease is dead). */
export async function takeOver(
  deps: FlowDeps,
  mountId: string,
  from: readonly string[],
  opts: { actor: string; degraded?: { reason: string; detail?: string }; expectUpdatedAt?: Date; to?: 'mounting' | 'unmounting' },
): Promise<string | null> {
  return withTx(deps.db, async (tx) => {
    const [row] = await tx.select().from(mounts).where(eq(mounts.id, mountId)).for('update', { skipLocked: true });
    if (!row || !from.includes(row.state)) return null;
    if ((row.state === 'mounting' || row.state === 'unmounting') && !leaseIsDead(deps, row)) return null;
    if (opts.expectUpdatedAt && row.updatedAt.getTime() !== opts.expectUpdatedAt.getTime()) return null;
    const token = newToken(deps.processId);
    const to = opts.to ?? 'mounting';
    const now = deps.clock.now();
    await tx
      .update(mounts)
      .set({ state: to, leaseOwner: token, leaseUntil: leaseUntil(deps, MOUNT_LEASE_MS), updatedAt: now, ...(opts.degraded ? { health: 'degraded' } : {}) })
      .where(eq(mounts.id, mountId));
    if (opts.degraded)
      await appendEvents(tx, deps, [
        mountEvent(row, 'mount.degraded', { toState: to, actor: opts.actor, reason: opts.degraded.reason, data: { detail: opts.degraded.detail } }),
      ]);
    return token;
  });
}

function credentialsOf(deps: FlowDeps, row: MountRow): OssfsCredentials {
  if (!row.credentialsEnc) throw new MountFailure('no stored credentials for this mount', '');
  try {
    return JSON.parse(deps.secrets.open(row.credentialsEnc)) as OssfsCredentials;
  } catch {
    throw new MountFailure('the stored credentials cannot be decrypted with this server key', '');
  }
}

/** Run the mount command for a row we hold in `mounting`, then settle it. */
export async function runOwnedMount(deps: FlowDeps, mountId: string, token: string, creds: OssfsCredentials | null, actor: string): Promise<void> {
  const work = (async () => {
    const row = await loadMount(deps.db, mountId);
    if (!row || row.state !== 'mounting' || row.leaseOwner !== token) return;
    let failure: MountFailure | null = null;
    let secrets: string[] = [];
    try {
      const c = creds ?? credentialsOf(deps, row);
      secrets = [c.accessKeySecret, c.accessKeyId];
      const spec = row.spec as OssfsSpec;
      const probe = await deps.mounter.probe(row.hostPath, { deep: true });
      // mounted: an earlier owner of this generation mounted it and died before settling; same identity, adopt it.
      if (probe.state === 'dead') await deps.mounter.repair(row.hostPath, spec, c);
      else if (probe.state === 'foreign') throw new MountFailure(`something other than a FUSE mount is at ${row.hostPath}`, '');
      else if (probe.state === 'absent') await deps.mounter.mount(row.hostPath, spec, c);
    } catch (err) {
      const message = err instanceof MountFailure ? err.message : String((err as Error)?.message ?? err);
      failure = new MountFailure(clip(scrubSecrets(message, secrets)), '');
      deps.log.warn({ mountId, err: failure.message }, 'mount failed');
    }
    const next = await settleMount(deps, row, token, failure, actor);
    if (next === 'unmount') await runOwnedUnmount(deps, mountId, token, actor);
  })();
  inflight.set(mountId, work);
  try {
    await work;
  } finally {
    if (inflight.get(mountId) === work) inflight.delete(mountId);
  }
}

async function settleMount(deps: FlowDeps, before: MountRow, token: string, failure: MountFailure | null, actor: string) {
  return withTx(deps.db, async (tx): Promise<'done' | 'lost' | 'unmount'> => {
    // Exclusive: with zero references this settle moves the mount to unmounting (see unreferenced.ts).
    await lockIdentitiesExclusive(tx, [before.identityKey]);
    const [row] = await tx.select().from(mounts).where(eq(mounts.id, before.id)).for('update');
    if (!row || row.state !== 'mounting' || row.leaseOwner !== token) return 'lost';
    const refs = await countRefs(tx, row.id);
    const now = deps.clock.now();
    const events: NewEvent[] = [];
    let next: 'done' | 'unmount' = 'done';
    if (failure) {
      // Nothing stays mounted after a failure; a row nobody references any more goes straight to cleanup.
      next = refs === 0 ? 'unmount' : 'done';
      await tx
        .update(mounts)
        .set({
          state: next === 'unmount' ? 'unmounting' : 'failed',
          lastError: failure.message,
          updatedAt: now,
          ...(next === 'unmount' ? { leaseUntil: leaseUntil(deps, MOUNT_LEASE_MS) } : { leaseOwner: null, leaseUntil: null }),
        })
        .where(eq(mounts.id, row.id));
      events.push(mountEvent(row, 'mount.failed', { toState: 'failed', actor, reason: 'mount_failed', data: { error: failure.message, references: refs } }));
    } else {
      const recovered = row.health === 'degraded';
      // Released while we were mounting (every create that wanted it failed or was deleted): unmount now.
      next = refs === 0 ? 'unmount' : 'done';
      await tx
        .update(mounts)
        .set({
          state: next === 'unmount' ? 'unmounting' : 'mounted',
          health: 'ok',
          lastError: null,
          updatedAt: now,
          ...(next === 'unmount' ? { leaseUntil: leaseUntil(deps, MOUNT_LEASE_MS) } : { leaseOwner: null, leaseUntil: null }),
        })
        .where(eq(mounts.id, row.id));
      events.push(mountEvent(row, recovered ? 'mount.recovered' : 'mount.mounted', { toState: 'mounted', actor, data: { references: refs } }));
    }
    await appendEvents(tx, deps, events);
    return next;
  });
}

/** Unmount a row we hold in `unmounting` (it had zero references when a committed transaction said so). */
export async function runOwnedUnmount(deps: FlowDeps, mountId: string, token: string, actor: string): Promise<boolean> {
  const row = await loadMount(deps.db, mountId);
  if (!row || row.state !== 'unmounting' || row.leaseOwner !== token) return false;
  let error: string | null = null;
  try {
    await deps.mounter.unmount(row.hostPath, (row.spec as OssfsSpec).version);
  } catch (err) {
    error = clip(err instanceof Error ? err.message : String(err));
    deps.log.warn({ mountId, err: error }, 'unmount failed; the reconciler will retry');
  }
  return withTx(deps.db, async (tx) => {
    const [cur] = await tx.select().from(mounts).where(eq(mounts.id, mountId)).for('update');
    if (!cur || cur.state !== 'unmounting' || cur.leaseOwner !== token) return false;
    const now = deps.clock.now();
    if (error) {
      // Keep the row in unmounting (no reference can join it) and hand it to the reconciler right away.
      await tx.update(mounts).set({ lastError: error, leaseUntil: now, updatedAt: now }).where(eq(mounts.id, mountId));
      await appendEvents(tx, deps, [mountEvent(cur, 'mount.failed', { toState: 'unmounting', actor, reason: 'unmount_failed', data: { error } })]);
      return false;
    }
    await tx.update(mounts).set({ state: 'unmounted', leaseOwner: null, leaseUntil: null, updatedAt: now }).where(eq(mounts.id, mountId));
    await appendEvents(tx, deps, [mountEvent(cur, 'mount.unmounted', { toState: 'unmounted', actor })]);
    return true;
  });
}
