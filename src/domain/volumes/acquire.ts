import { eq } from 'drizzle-orm';
import { mountRefs, mounts, sandboxVolumes } from '../../adapters/postgres/schema/index.js';
import { runtimeFailure } from '../errors.js';
import type { Db } from '../ports.js';
import { mountHostPath } from './identity.js';
import { leaseUntil, newToken } from './lease.js';
import type { MountDeps } from './mount-deps.js';
import { LIVE_INDEX_WHERE, liveByIdentity } from './mount-rows.js';
import { volumeSpecRecord, type Plan } from './plan.js';
import { MOUNT_LEASE_MS } from './states.js';

type AcquireDeps = Pick<MountDeps, 'ids' | 'clock' | 'config' | 'processId' | 'secrets' | 'mounter'>;

/**
 * tx1 of the ledger protocol, inside the caller's transaction (the one that inserts the sandbox row):
 * upsert the live mount row, lock it, add this sandbox's reference, and move absent/failed -> mounting
 * with our lease token. Nothing physical happens here; materialize runs the command after the commit.
 *
 * Locks: a joiner of a mounted/mounting row takes FOR KEY SHARE, so any number of creates join at once,
 * while a release (FOR UPDATE) waits for them and then counts their committed references: a reference is
 * never added to a row a concurrent release is about to mark unmounting. Changing the row's state needs
 * FOR UPDATE. Rows are taken in identity-key order (the plan is sorted), as release does.
 */
export async function acquireVolumes(tx: Db, deps: AcquireDeps, plan: Plan): Promise<void> {
  plan.acquired.clear();
  const now = deps.clock.now();
  for (const m of plan.mounts) {
    let done = false;
    // A live row can turn unmounting between our look and our lock; then a new generation is made.
    for (let attempt = 0; attempt < 5 && !done; attempt++) {
      const [peek] = await tx.select({ state: mounts.state }).from(mounts).where(liveByIdentity(m.identityKey));
      if (!peek) {
        const id = deps.ids.prefixed('mnt');
        await tx
          .insert(mounts)
          .values({
            id,
            identityKey: m.identityKey,
            backend: 'ossfs',
            spec: { ...m.spec },
            credentialFingerprint: m.credentialFingerprint,
            credentialsEnc: deps.secrets.seal(JSON.stringify(m.credentials)),
            hostPath: mountHostPath(deps.mounter.root, id),
            state: 'absent',
            hostId: deps.config.hostId,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing({ target: mounts.identityKey, where: LIVE_INDEX_WHERE });
      }
      const joinable = peek?.state === 'mounted' || peek?.state === 'mounting';
      const [row] = await tx.select().from(mounts).where(liveByIdentity(m.identityKey)).for(joinable ? 'key share' : 'update');
      if (!row) continue;
      let role: 'owner' | 'join' | 'retry' = 'join';
      let token: string | null = null;
      if (row.state === 'absent' || row.state === 'failed') {
        if (joinable) {
          // It failed between our look and our shared lock; upgrading the lock could deadlock with another
          // joiner, so keep the reference and let materialize retry the mount in its own transaction.
          role = 'retry';
        } else {
          role = 'owner';
          token = newToken(deps.processId);
          await tx
            .update(mounts)
            .set({ state: 'mounting', leaseOwner: token, leaseUntil: leaseUntil(deps, MOUNT_LEASE_MS), lastError: null, updatedAt: now })
            .where(eq(mounts.id, row.id));
        }
      }
      await tx.insert(mountRefs).values({ mountId: row.id, sandboxId: plan.sandboxId }).onConflictDoNothing();
      plan.acquired.set(m.identityKey, { mountId: row.id, hostPath: row.hostPath, role, token });
      done = true;
    }
    if (!done) throw runtimeFailure('VOLUME::OSSFS_MOUNT_FAILED', `Volume '${m.volumeNames[0]}': the mount is busy; try again.`);
  }

  if (plan.volumes.length === 0) return;
  await tx.insert(sandboxVolumes).values(
    plan.volumes.map((v) => ({
      sandboxId: plan.sandboxId,
      name: v.name,
      backend: v.kind,
      mountPath: v.mountPath,
      readOnly: v.readOnly,
      subPath: v.subPath,
      spec: volumeSpecRecord(v, plan.mounts),
      mountId: v.kind === 'ossfs' ? plan.acquired.get(v.identityKey)!.mountId : null,
      // Recorded before the volume exists, so a crash between creating it and recording it cannot leak it.
      managedVolume: v.kind === 'pvc' && v.willCreate ? v.claimName : null,
    })),
  );
}
