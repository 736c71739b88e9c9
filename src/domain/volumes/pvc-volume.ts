import { posix } from 'node:path';
import { invalid, isDomainError, runtimeFailure } from '../errors.js';
import { LABELS, type ContainerRuntime } from '../ports.js';
import { resolveDeep } from './host-volume.js';

/**
 * pvc = a Docker named volume (upstream volumes.py). prepare inspects only; materialize creates a missing
 * volume (createIfNotExists, default true as upstream) with berth's labels, so only volumes berth made are
 * ever removed, and resolves a subPath through the volume's mountpoint on the local driver.
 */
type VolumeInfo = NonNullable<Awaited<ReturnType<ContainerRuntime['inspectVolume']>>>;

/** Upstream's label, so OpenSandbox tooling recognises server-made volumes too. */
export const UPSTREAM_MANAGED_LABEL = 'opensandbox.io/volume-managed-by';
export const CREATED_FOR_LABEL = 'berth.created-for-sandbox';

async function inspect(runtime: Pick<ContainerRuntime, 'inspectVolume'>, claimName: string): Promise<VolumeInfo | null> {
  try {
    return await runtime.inspectVolume(claimName);
  } catch (err) {
    if (isDomainError(err)) throw err;
    throw runtimeFailure('VOLUME::PVC_INSPECT_FAILED', `Failed to inspect volume '${claimName}'.`);
  }
}

/** Returns whether berth will have to create the volume. */
export async function preparePvc(
  runtime: Pick<ContainerRuntime, 'inspectVolume'>,
  v: { name: string; claimName: string; createIfNotExists: boolean; subPath: string | null },
): Promise<{ willCreate: boolean }> {
  const info = await inspect(runtime, v.claimName);
  if (!info) {
    if (!v.createIfNotExists)
      throw invalid(
        'VOLUME::PVC_NOT_FOUND',
        `Volume '${v.claimName}' does not exist. Named volumes must be created before sandbox creation or set createIfNotExists.`,
      );
    // berth creates it with the local driver; the subPath rules are checked again once it exists.
    return { willCreate: true };
  }
  if (v.subPath) await subPathSource(info, v);
  return { willCreate: false };
}

async function subPathSource(info: VolumeInfo, v: { name: string; claimName: string; subPath: string | null }): Promise<string> {
  if (info.driver !== 'local')
    throw invalid(
      'VOLUME::PVC_SUBPATH_UNSUPPORTED_DRIVER',
      `Volume '${v.name}': subPath needs the 'local' volume driver; '${v.claimName}' uses '${info.driver}'.`,
    );
  if (!info.mountpoint) throw invalid('VOLUME::PVC_SUBPATH_UNSUPPORTED_DRIVER', `Volume '${v.name}': volume '${v.claimName}' has no mountpoint.`);
  const root = posix.normalize(info.mountpoint);
  const under = (p: string, r: string) => p === r || p.startsWith(`${r}/`);
  const resolved = posix.normalize(posix.join(root, v.subPath!));
  if (!under(resolved, root)) throw invalid('VOLUME::INVALID_SUB_PATH', `Volume '${v.name}': subPath escapes the volume.`);
  // The volume's content is written by sandboxes: a link inside it must not lead a bind out of it.
  const realRoot = await resolveDeep(root).catch(() => root);
  const real = await resolveDeep(resolved).catch(() => null);
  if (real === null || !under(real, realRoot)) throw invalid('VOLUME::INVALID_SUB_PATH', `Volume '${v.name}': subPath resolves outside the volume.`);
  return real;
}

export type PvcLabels = { instanceId: string; hostId: string; sandboxId: string };

export function pvcLabels(l: PvcLabels): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.instance]: l.instanceId,
    [LABELS.hostId]: l.hostId,
    [CREATED_FOR_LABEL]: l.sandboxId,
    [UPSTREAM_MANAGED_LABEL]: 'server',
  };
}

/** Create when needed, then return the bind source: the volume name, or the resolved subPath directory. */
export async function materializePvc(
  runtime: Pick<ContainerRuntime, 'inspectVolume' | 'createVolume'>,
  v: { name: string; claimName: string; createIfNotExists: boolean; subPath: string | null },
  labels: PvcLabels,
): Promise<string> {
  let info = await inspect(runtime, v.claimName);
  if (!info) {
    if (!v.createIfNotExists) throw invalid('VOLUME::PVC_NOT_FOUND', `Volume '${v.claimName}' does not exist.`);
    try {
      await runtime.createVolume(v.claimName, pvcLabels(labels));
    } catch (err) {
      if (isDomainError(err)) throw err;
      throw runtimeFailure('VOLUME::PVC_INSPECT_FAILED', `Failed to create volume '${v.claimName}'.`);
    }
    info = await inspect(runtime, v.claimName);
    if (!info) throw runtimeFailure('VOLUME::PVC_INSPECT_FAILED', `Volume '${v.claimName}' vanished right after it was created.`);
  }
  return v.subPath ? subPathSource(info, v) : v.claimName;
}

/** Only a volume carrying berth's labels for this deployment, made for this sandbox, is ever removed. */
export function isOurs(info: VolumeInfo, instanceId: string, sandboxId: string): boolean {
  return info.labels[LABELS.managed] === 'true' && info.labels[LABELS.instance] === instanceId && info.labels[CREATED_FOR_LABEL] === sandboxId;
}
