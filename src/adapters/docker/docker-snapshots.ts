import type Docker from 'dockerode';
import { freezeGate } from './freeze-gate.js';
import { notFound } from '../../domain/errors.js';
import { dockerFailure, dockerMessage, dockerStatus, isDockerNotFound } from './docker-errors.js';

/** A label value Docker's LABEL instruction takes without quoting: ids and instance names are of this shape. */
const PLAIN_LABEL_VALUE = /^[A-Za-z0-9_.:-]+$/;

/**
 * `POST /commit` with `pause=true` (the engine leaves an already paused container paused). Image labels go
 * in as `changes` (Dockerfile LABEL lines, parsed by the engine, no shell): a body config would replace the
 * container's config in the image instead of adding to it. Values are checked, not quoted.
 */
export async function commitContainer(
  docker: Docker,
  containerId: string,
  image: { repo: string; tag: string; labels: Record<string, string> },
): Promise<{ imageId: string }> {
  const changes = Object.entries(image.labels).map(([k, v]) => {
    if (!PLAIN_LABEL_VALUE.test(k) || !PLAIN_LABEL_VALUE.test(v)) throw new Error(`label ${k} is not a plain token`);
    return `LABEL ${k}=${v}`;
  });
  try {
    // docker-modem sends `_query` as the query string and nothing as the body.
    // pause: true freezes the container for the commit (freeze-gate.ts: never while an exec is starting)
    const res = (await freezeGate.whileFrozen(containerId, () =>
      docker.getContainer(containerId).commit({
        _query: { container: containerId, repo: image.repo, tag: image.tag, pause: true, changes },
      } as unknown as Record<string, unknown>),
    )) as { Id?: string };
    if (!res?.Id) throw new Error('the engine answered without an image id');
    return { imageId: res.Id };
  } catch (e) {
    if (isDockerNotFound(e)) throw notFound('DOCKER::SANDBOX_NOT_FOUND', `Container ${containerId} not found.`);
    throw dockerFailure(e, 'DOCKER::SANDBOX_SNAPSHOT_FAILED', `Failed to commit container: ${dockerMessage(e)}`);
  }
}

/** Untag-and-delete without force: the engine refuses (409) while any container, running or not, uses it. */
export async function removeImage(docker: Docker, ref: string): Promise<'removed' | 'absent' | 'in_use'> {
  try {
    await docker.getImage(ref).remove({ force: false });
    return 'removed';
  } catch (e) {
    if (isDockerNotFound(e)) return 'absent';
    if (dockerStatus(e) === 409) return 'in_use';
    throw dockerFailure(e, 'DOCKER::SNAPSHOT_IMAGE_REMOVE_FAILED', `Failed to remove snapshot image: ${dockerMessage(e)}`);
  }
}
