import { eq, sql } from 'drizzle-orm';
import { mountRefs, mounts, sandboxVolumes } from '../../../db/schema/index.js';
import { runtimeFailure } from '../../errors.js';
import type { Db } from '../../ports.js';
import { mountHostPath } from './identity.js';
import { leaseUntil, newToken } from '../../lease.js';
import type { MountDeps } from '../mount-deps.js';
import { LIVE_INDEX_WHERE, liveByIdentity, rowsOf, textArray } from './mount-rows.js';
import { volumeSpecRecord, type AcquiredMount, type Plan, type PlannedMount } from './plan.js';
import { MOUNT_LEASE_MS } from './states.js';

type AcquireDeps = Pick<MountDeps, 'ids' | 'clock' | 'config' | 'processId' | 'secrets' | 'mounter'>;

/**
 * tx1 of the ledger protocol, inside the caller's transaction (the one that inserts the sandbox row):
 * upsert the live mount row, add this sandbox's reference, and move absent/failed -> mounting with our
 * lease token. Nothing physical happens here; materialize runs the command after the commit.
 *
 * Every identity is locked shared first (berth_mount_join; mount-rows.ts explains the lock), so any number of creates
 * join at once while a release about to mark the mount unmounting (exclusive) waits for them, then counts
 * their committed references. A create that comes later reads the row after that release committed: an
 * unmounting generation is not live any more, so it makes a new one at a new path. Identities are locked
 * in key order (the plan is sorted), as every other ledger transaction does.
 */
export async function acquireVolumes(tx: Db, deps: AcquireDeps, plan: Plan): Promise<void> {
  plan.acquired.clear();
  if (plan.mounts.length === 0) return recordVolumes(tx, plan);
  // One round trip for the common case (migrations/0006: berth_mount_join): lock every identity shared,
  // then, in a statement whose snapshot follows the locks, join each mounted/mounting live row and, when
  // all were joined, record the sandbox's volumes too. The locks stay held until our commit.
  const keys = plan.mounts.map((m) => m.identityKey);
  const found = rowsOf<{ o_identity_key: string; o_id: string; o_host_path: string; o_state: string }>(
    await tx.execute(
      sql`select o_identity_key, o_id, o_host_path, o_state from berth_mount_join(${plan.sandboxId}, ${textArray(keys)}, ${volumesJson(plan)}::jsonb)`,
    ),
  );
  for (const r of found)
    if (r.o_state === 'mounted' || r.o_state === 'mounting')
      plan.acquired.set(r.o_identity_key, { mountId: r.o_id, hostPath: r.o_host_path, role: 'join', token: null });
  if (plan.acquired.size === plan.mounts.length) return;

  // Some identity has no joinable generation: become its owner (or join whoever beat us to it).
  const now = deps.clock.now();
  for (const m of plan.mounts) {
    if (plan.acquired.has(m.identityKey)) continue;
    let acquired: AcquiredMount | null = null;
    for (let attempt = 0; attempt < 5 && !acquired; attempt++) acquired = (await join(tx, plan.sandboxId, m)) ?? (await own(tx, deps, plan.sandboxId, m, now));
    if (!acquired) throw runtimeFailure('VOLUME::OSSFS_MOUNT_FAILED', `Volume '${m.volumeNames[0]}': the mount is busy; try again.`);
    plan.acquired.set(m.identityKey, acquired);
  }
  await recordVolumes(tx, plan);
}

/** sandbox_volumes rows as berth_mount_join takes them; mount ids are filled in there from the joins. */
function volumesJson(plan: Plan): string | null {
  if (plan.volumes.length === 0) return null;
  return JSON.stringify(
    plan.volumes.map((v) => ({
      name: v.name,
      backend: v.kind,
      mount_path: v.mountPath,
      read_only: v.readOnly,
      sub_path: v.subPath ?? null,
      spec: volumeSpecRecord(v, plan.mounts),
      identity_key: v.kind === 'ossfs' ? v.identityKey : null,
      managed_volume: v.kind === 'pvc' && v.willCreate ? v.claimName : null,
    })),
  );
}

async function recordVolumes(tx: Db, plan: Plan): Promise<void> {
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

/**
 * The common case in one statement, whose snapshot is taken after the identity lock was granted: read the
 * live row and, when it is mounted or mounting, add our reference to it.
 */
async function join(tx: Db, sandboxId: string, m: PlannedMount): Promise<AcquiredMount | null> {
  const [live] = rowsOf<{ id: string; host_path: string; state: string }>(
    await tx.execute(sql`
      with live as (select ${mounts.id} as id, ${mounts.hostPath} as host_path, ${mounts.state} as state
                    from ${mounts} where ${mounts.identityKey} = ${m.identityKey} and ${LIVE_INDEX_WHERE}),
           joined as (insert into ${mountRefs} (mount_id, sandbox_id)
                      select id, ${sandboxId} from live where state in ('mounted', 'mounting') on conflict do nothing)
      select id, host_path, state from live`),
  );
  return live && (live.state === 'mounted' || live.state === 'mounting') ? { mountId: live.id, hostPath: live.host_path, role: 'join', token: null } : null;
}

/**
 * No live row, or one that failed before we came: insert a new generation (unless a concurrent create did;
 * our insert then waited for it to commit) and lock the live row. Whoever locks it in absent or failed
 * becomes the owner and moves it to mounting under its lease token; anyone later joins.
 */
async function own(tx: Db, deps: AcquireDeps, sandboxId: string, m: PlannedMount, now: Date): Promise<AcquiredMount | null> {
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
  const [row] = await tx.select().from(mounts).where(liveByIdentity(m.identityKey)).for('update');
  if (!row) return null;
  let token: string | null = null;
  if (row.state === 'absent' || row.state === 'failed') {
    token = newToken(deps.processId);
    await tx
      .update(mounts)
      .set({ state: 'mounting', leaseOwner: token, leaseUntil: leaseUntil(deps, MOUNT_LEASE_MS), lastError: null, updatedAt: now })
      .where(eq(mounts.id, row.id));
  }
  await tx.insert(mountRefs).values({ mountId: row.id, sandboxId }).onConflictDoNothing();
  return { mountId: row.id, hostPath: row.hostPath, role: token ? 'owner' : 'join', token };
}
