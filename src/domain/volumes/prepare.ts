import { posix } from 'node:path';
import { runtimeFailure } from '../errors.js';
import type { VolumeRequest } from './port.js';
import { resolveHostVolume } from './host-volume.js';
import { mountIdentity } from './ledger/identity.js';
import type { MountDeps } from './mount-deps.js';
import { resolveOssfsSpec } from './ossfs-rules.js';
import { Plan, type PlannedMount, type PreparedVolume } from './ledger/plan.js';
import { preparePvc } from './pvc-volume.js';
import { checkVolumes } from './validate.js';

type PrepareDeps = Pick<MountDeps, 'runtime' | 'config' | 'secrets'>;

/**
 * Every 400 a volume can earn, before anything exists (no row, no directory, no Docker volume, no mount):
 * first the request-level checks for all volumes in upstream's order, then per volume what needs the file
 * system (host symlinks) or Docker (pvc inspect), then the ossfs mount-time checks.
 */
export async function prepareVolumes(deps: PrepareDeps, sandboxId: string, requests: VolumeRequest[]): Promise<Plan> {
  const checked = checkVolumes(requests ?? [], deps.config.allowedHostPaths);
  const mounts = new Map<string, PlannedMount>();
  const prepared: PreparedVolume[] = [];
  for (const v of checked) {
    const base = { name: v.name, mountPath: v.mountPath, readOnly: v.readOnly, subPath: v.subPath };
    switch (v.kind) {
      case 'host':
        await resolveHostVolume(v.path, v.subPath, deps.config.allowedHostPaths);
        prepared.push({ ...base, kind: 'host', path: v.path });
        break;
      case 'pvc': {
        const { willCreate } = await preparePvc(deps.runtime, v);
        prepared.push({
          ...base,
          kind: 'pvc',
          claimName: v.claimName,
          createIfNotExists: v.createIfNotExists,
          deleteOnSandboxTermination: v.deleteOnSandboxTermination,
          willCreate,
          extra: v.extra,
        });
        break;
      }
      case 'ossfs': {
        const root = deps.config.ossfsMountRoot;
        if (!root || !posix.isAbsolute(root))
          throw runtimeFailure('VOLUME::INVALID_OSSFS_MOUNT_ROOT', "The server's OSSFS mount root must be an absolute path.");
        const spec = resolveOssfsSpec(v.name, v, v.subPath);
        const credentials = { accessKeyId: v.accessKeyId, accessKeySecret: v.accessKeySecret };
        const id = mountIdentity(deps.secrets, deps.config.hostId, spec, credentials);
        const existing = mounts.get(id.identityKey);
        // Two volumes of one sandbox on one backend path: one mount, one reference (upstream's second bug).
        if (existing) existing.volumeNames.push(v.name);
        else mounts.set(id.identityKey, { ...id, spec, credentials, volumeNames: [v.name] });
        prepared.push({ ...base, kind: 'ossfs', identityKey: id.identityKey });
        break;
      }
    }
  }
  // Lock order for every ledger transaction: identity key ascending, so two creates never deadlock.
  const ordered = [...mounts.values()].sort((a, b) => (a.identityKey < b.identityKey ? -1 : 1));
  return new Plan(sandboxId, prepared, ordered);
}
