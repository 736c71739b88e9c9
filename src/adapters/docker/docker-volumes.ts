import type Docker from 'dockerode';
import { dockerFailure, dockerMessage, isDockerNotFound } from './docker-errors.js';

export type VolumeInfo = { name: string; driver: string; mountpoint: string; labels: Record<string, string> };

/** Named volumes for the pvc backend. Codes follow upstream (§8.4): inspect/create failures are PVC_INSPECT_FAILED. */
export async function inspectVolume(docker: Docker, name: string): Promise<VolumeInfo | null> {
  try {
    const v = await docker.getVolume(name).inspect();
    return { name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint, labels: { ...(v.Labels ?? {}) } };
  } catch (e) {
    if (isDockerNotFound(e)) return null;
    throw dockerFailure(e, 'VOLUME::PVC_INSPECT_FAILED', `Failed to inspect volume '${name}': ${dockerMessage(e)}`);
  }
}

/**
 * Docker answers a create of an existing name (same driver) with the existing volume and leaves its labels
 * as they were, so callers must not infer ownership from a successful create: inspect the labels.
 */
export async function createVolume(docker: Docker, name: string, labels: Record<string, string>): Promise<void> {
  try {
    await docker.createVolume({ Name: name, Labels: { ...labels } });
  } catch (e) {
    throw dockerFailure(e, 'VOLUME::PVC_INSPECT_FAILED', `Failed to create volume '${name}': ${dockerMessage(e)}`);
  }
}

/** A missing volume is not an error; one still in use (409) is, so the caller keeps it on its list. */
export async function removeVolume(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove();
  } catch (e) {
    if (isDockerNotFound(e)) return;
    throw dockerFailure(e, 'DOCKER::SANDBOX_DELETE_FAILED', `Failed to remove volume '${name}': ${dockerMessage(e)}`);
  }
}
