import { and, eq } from 'drizzle-orm';
import { mountRefs, mounts } from '../../db/schema/index.js';
import { ensureMounted } from './ledger/ensure-mounted.js';
import { materializeHostVolume } from './host-volume.js';
import type { MountDeps } from './mount-deps.js';
import type { AcquiredMount, Plan } from './ledger/plan.js';
import { materializePvc } from './pvc-volume.js';

/**
 * After the sandbox row and its references committed: make what the plan needs and return Docker binds in
 * volume order. ossfs binds are the FUSE mountpoint itself (mounted before the container exists, so no
 * propagation is needed to see it); with a shared mount root they are rslave so an in-place repair of a
 * dead mount reaches running sandboxes too.
 */
export async function materializeVolumes(deps: MountDeps, plan: Plan, actor = 'ledger'): Promise<string[]> {
  let propagation: 'rslave' | null = null;
  if (plan.mounts.length > 0) {
    ({ propagation } = await deps.mounter.prepareRoot());
    const results = await Promise.allSettled(
      plan.mounts.map(async (m) => ensureMounted(deps, plan.acquired.get(m.identityKey) ?? (await fromLedger(deps, plan, m.identityKey)), m, actor)),
    );
    // Wait for all, so no mount of this create is still in flight when the caller releases it.
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
  }

  const binds: string[] = [];
  for (const v of plan.volumes) {
    const mode = v.readOnly ? 'ro' : 'rw';
    switch (v.kind) {
      case 'host':
        binds.push(`${await materializeHostVolume(v.path, v.subPath, deps.config.allowedHostPaths)}:${v.mountPath}:${mode}`);
        break;
      case 'pvc': {
        const source = await materializePvc(deps.runtime, v, { instanceId: deps.instanceId, hostId: deps.config.hostId, sandboxId: plan.sandboxId });
        binds.push(`${source}:${v.mountPath}:${mode}`);
        break;
      }
      case 'ossfs': {
        const a = plan.acquired.get(v.identityKey) ?? (await fromLedger(deps, plan, v.identityKey));
        binds.push(`${a.hostPath}:${v.mountPath}:${mode}${propagation ? `,${propagation}` : ''}`);
        break;
      }
    }
  }
  return binds;
}

/** When acquire ran elsewhere (another process or a retried request): the reference rows say which mount. */
async function fromLedger(deps: Pick<MountDeps, 'db'>, plan: Plan, identityKey: string): Promise<AcquiredMount> {
  const [row] = await deps.db
    .select({ mountId: mounts.id, hostPath: mounts.hostPath })
    .from(mountRefs)
    .innerJoin(mounts, eq(mounts.id, mountRefs.mountId))
    .where(and(eq(mountRefs.sandboxId, plan.sandboxId), eq(mounts.identityKey, identityKey)));
  if (!row) throw new Error(`sandbox ${plan.sandboxId} holds no reference for one of its mounts; acquire() must run first`);
  const acquired: AcquiredMount = { ...row, role: 'join', token: null };
  plan.acquired.set(identityKey, acquired);
  return acquired;
}
