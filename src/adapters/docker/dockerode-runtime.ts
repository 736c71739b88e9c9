import type Docker from 'dockerode';
import { DomainError, conflict, notFound, runtimeFailure } from '../../domain/errors.js';
import type { ContainerEvent, ContainerRuntime, ContainerSpec, ContainerState, Logger, ResourceUpdate } from '../../domain/ports.js';
import { buildCreateOptions } from './container-spec.js';
import { isEnded, stateFromInspect, stateFromSummary } from './container-state.js';
import { dockerFailure, dockerMessage, isDockerNotFound, NOT_RUNNING_ANSWER, startRefused } from './docker-errors.js';
import { ensureImage, type RegistryAuth } from './docker-image.js';
import { commitContainer, removeImage } from './docker-snapshots.js';
import { freezeGate } from './freeze-gate.js';
import { createVolume, inspectVolume, removeVolume, type VolumeInfo } from './docker-volumes.js';
import { ownedLabelFilters, subscribeEvents } from './event-subscription.js';

const INSPECT_BATCH = 16;
const REMOVAL_WAIT_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const RETRYABLE_REMOVAL = /failed to remove root filesystem|directory not empty|device or resource busy/i;
const containerNotFound = (id: string) => notFound('DOCKER::SANDBOX_NOT_FOUND', `Container ${id} not found.`);

/** ContainerRuntime on the Docker Engine API through dockerode. Touches only what it is given ids or labels for. */
export class DockerodeRuntime implements ContainerRuntime {
  constructor(
    private readonly docker: Docker,
    private readonly log: Logger,
  ) {}

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (e) {
      throw new DomainError('unavailable', 'DOCKER::INITIALIZATION_ERROR', `Docker engine is not reachable: ${dockerMessage(e)}`);
    }
  }

  ensureImage(uri: string, auth?: RegistryAuth): Promise<void> {
    return ensureImage(this.docker, this.log, uri, auth);
  }

  async createAndStart(spec: ContainerSpec): Promise<ContainerState> {
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(buildCreateOptions(spec));
    } catch (e) {
      // Nothing to clean up: a failed create leaves no container (and a name conflict is not ours to remove).
      throw startRefused(e, spec.binds, `Failed to create container from image '${spec.image}'`);
    }
    try {
      await container.start();
      const state = await this.inspect(container.id);
      if (!state) throw new Error('container vanished right after start');
      return state;
    } catch (e) {
      await this.removeHalfMade(container.id);
      throw startRefused(e, spec.binds, 'Failed to start container');
    }
  }

  async inspect(containerId: string): Promise<ContainerState | null> {
    try {
      return stateFromInspect(await this.docker.getContainer(containerId).inspect());
    } catch (e) {
      if (isDockerNotFound(e)) return null;
      throw dockerFailure(e, 'DOCKER::SANDBOX_QUERY_FAILED', `Failed to inspect container ${containerId}: ${dockerMessage(e)}`);
    }
  }

  /**
   * `docker update`. MemorySwap goes with Memory as twice it, what the daemon sets on a create that names no
   * swap, so a claimed sandbox has the limits a cold create of the same request would have had.
   */
  async updateResources(containerId: string, r: ResourceUpdate): Promise<void> {
    const body: Record<string, number> = {};
    if (r.nanoCpus !== undefined) body.NanoCpus = r.nanoCpus;
    if (r.memoryBytes !== undefined) Object.assign(body, { Memory: r.memoryBytes, MemorySwap: r.memoryBytes * 2 });
    if (r.pidsLimit !== undefined) body.PidsLimit = r.pidsLimit;
    if (Object.keys(body).length === 0) return;
    try {
      await this.docker.getContainer(containerId).update(body);
    } catch (e) {
      if (isDockerNotFound(e)) throw containerNotFound(containerId);
      throw dockerFailure(e, 'DOCKER::SANDBOX_START_FAILED', `Failed to update container limits: ${dockerMessage(e)}`);
    }
  }

  /**
   * Docker refuses with "is already paused", "is not running" or "is restarting" (409); all mean the
   * sandbox is not in a pausable Running state, so a double pause is a 409 rather than upstream's 500.
   */
  async pause(containerId: string): Promise<void> {
    try {
      await freezeGate.whileFrozen(containerId, () => this.docker.getContainer(containerId).pause());
    } catch (e) {
      if (isDockerNotFound(e)) throw containerNotFound(containerId);
      const msg = dockerMessage(e);
      // (a container the engine is stopping or removing meanwhile: "cannot pause a stopped container", a 500)
      if (NOT_RUNNING_ANSWER.test(msg)) throw conflict('DOCKER::SANDBOX_NOT_RUNNING', `Cannot pause: ${msg}`);
      throw dockerFailure(e, 'DOCKER::SANDBOX_PAUSE_FAILED', `Failed to pause container: ${msg}`);
    }
  }

  /** Docker 20.10 answers an unpause of a container that is not paused with a 500, so match the message. */
  async unpause(containerId: string): Promise<void> {
    try {
      await this.docker.getContainer(containerId).unpause();
    } catch (e) {
      if (isDockerNotFound(e)) throw containerNotFound(containerId);
      const msg = dockerMessage(e);
      if (/not paused/i.test(msg)) throw conflict('DOCKER::SANDBOX_NOT_PAUSED', `Cannot resume: ${msg}`);
      if (NOT_RUNNING_ANSWER.test(msg)) throw conflict('DOCKER::SANDBOX_NOT_RUNNING', `Cannot resume: ${msg}`);
      throw dockerFailure(e, 'DOCKER::SANDBOX_RESUME_FAILED', `Failed to resume container: ${msg}`);
    }
  }

  /**
   * Force-remove (SIGKILL, works on paused containers too) with its anonymous volumes; named volumes stay.
   * When another process is already removing it, wait until it is gone: callers release mounts next, and
   * must not do so under a container that still exists. A removal the storage driver failed part way (a
   * file written into the container's filesystem meanwhile, as an archive upload racing the delete does:
   * "failed to remove root filesystem ... directory not empty") leaves the container Dead; it is tried again.
   */
  async remove(containerId: string): Promise<void> {
    const deadline = Date.now() + REMOVAL_WAIT_MS;
    for (;;) {
      try {
        await this.docker.getContainer(containerId).remove({ force: true, v: true });
        return;
      } catch (e) {
        if (isDockerNotFound(e)) return;
        const msg = dockerMessage(e);
        if (/already in progress/i.test(msg)) break;
        if (!RETRYABLE_REMOVAL.test(msg) || Date.now() >= deadline)
          throw dockerFailure(e, 'DOCKER::SANDBOX_DELETE_FAILED', `Failed to remove container: ${msg}`);
        await sleep(200);
      }
    }
    while (Date.now() < deadline) {
      if ((await this.inspect(containerId)) === null) return;
      await sleep(100);
    }
    throw runtimeFailure('DOCKER::SANDBOX_DELETE_FAILED', `Container ${containerId} is still being removed.`);
  }

  /**
   * One cheap list call; only ended containers are inspected, for their exact exit code and FinishedAt.
   * A container removed between the list and its inspect is dropped, never an error (upstream's list
   * turned that race into a 500).
   */
  async listOwned(instanceId: string): Promise<ContainerState[]> {
    let summaries: Docker.ContainerInfo[];
    try {
      summaries = await this.docker.listContainers({ all: true, filters: { label: ownedLabelFilters(instanceId) } });
    } catch (e) {
      throw dockerFailure(e, 'DOCKER::SANDBOX_QUERY_FAILED', `Failed to list containers: ${dockerMessage(e)}`);
    }
    const out: ContainerState[] = [];
    for (let i = 0; i < summaries.length; i += INSPECT_BATCH) {
      const batch = summaries.slice(i, i + INSPECT_BATCH);
      const states = await Promise.all(batch.map((s) => this.refineEnded(stateFromSummary(s))));
      for (const s of states) if (s) out.push(s);
    }
    return out;
  }

  subscribe(instanceId: string, onEvent: (e: ContainerEvent) => void, onError: (err: Error) => void): () => void {
    return subscribeEvents(this.docker, this.log, instanceId, onEvent, onError);
  }

  commit(containerId: string, image: { repo: string; tag: string; labels: Record<string, string> }): Promise<{ imageId: string }> {
    return commitContainer(this.docker, containerId, image);
  }

  removeImage(ref: string): Promise<'removed' | 'absent' | 'in_use'> {
    return removeImage(this.docker, ref);
  }

  inspectVolume(name: string): Promise<VolumeInfo | null> {
    return inspectVolume(this.docker, name);
  }

  createVolume(name: string, labels: Record<string, string>): Promise<void> {
    return createVolume(this.docker, name, labels);
  }

  removeVolume(name: string): Promise<void> {
    return removeVolume(this.docker, name);
  }

  private async refineEnded(summary: ContainerState): Promise<ContainerState | null> {
    if (!isEnded(summary)) return summary;
    try {
      return stateFromInspect(await this.docker.getContainer(summary.containerId).inspect());
    } catch (e) {
      if (isDockerNotFound(e)) return null;
      this.log.warn({ containerId: summary.containerId, err: dockerMessage(e) }, 'inspect failed; using list summary');
      return summary;
    }
  }

  private async removeHalfMade(containerId: string): Promise<void> {
    try {
      await this.docker.getContainer(containerId).remove({ force: true, v: true });
    } catch (e) {
      if (!isDockerNotFound(e)) {
        // The reconciler finds it by label later; the caller still gets the start failure.
        this.log.error({ containerId, err: dockerMessage(e) }, 'could not remove half-made container');
      }
    }
  }
}
