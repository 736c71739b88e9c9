import { notFound, runtimeFailure } from '../../src/domain/errors.js';
import { LABELS, type ContainerEvent, type ContainerRuntime, type ContainerSpec, type ContainerState } from '../../src/domain/ports.js';
import type { CodeOf } from '../../src/domain/error-codes.js';

export type FailableOp = 'pull' | 'start' | 'pause' | 'unpause' | 'remove' | 'commit' | 'removeImage';

type FakeContainer = { spec: ContainerSpec; state: ContainerState; createdAt: number };
type FakeVolume = { name: string; driver: string; mountpoint: string; labels: Record<string, string> };

// Codes a real adapter answers with, so HTTP tests see upstream's codes for injected failures.
const FAILURE_CODES: Record<FailableOp, CodeOf<'runtime'>> = {
  pull: 'DOCKER::SANDBOX_IMAGE_PULL_FAILED',
  start: 'DOCKER::SANDBOX_START_FAILED',
  pause: 'DOCKER::SANDBOX_PAUSE_FAILED',
  unpause: 'DOCKER::SANDBOX_RESUME_FAILED',
  remove: 'DOCKER::SANDBOX_DELETE_FAILED',
  commit: 'DOCKER::SANDBOX_SNAPSHOT_FAILED',
  removeImage: 'DOCKER::SNAPSHOT_IMAGE_REMOVE_FAILED',
};

/**
 * A distinct loopback address per container (Linux answers on all of 127.0.0.0/8), so a test can listen on a
 * fake container's "own address" and prove the server proxy connected there, not to 127.0.0.1.
 */
export const fakeIp = (seq: number) => `127.1.${(seq >> 8) & 255}.${seq & 255}`;

/**
 * An in-memory ContainerRuntime for HTTP and domain tests: containers, ports, pause state, named volumes
 * and an event feed, plus failure injection per operation (`failNext('pull')`, `failAlways('start')`).
 */
export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  readonly volumes = new Map<string, FakeVolume>();
  readonly images = new Set<string>();
  /** committed images: ref -> id and labels */
  readonly committed = new Map<string, { imageId: string; labels: Record<string, string>; from: string }>();
  /** when set, commit waits for this promise first (tests hold a snapshot in Creating) */
  commitGate: Promise<void> | null = null;
  /** every call, in order, e.g. "ensureImage busybox:latest", "createAndStart sandbox-<id>" */
  readonly calls: string[] = [];
  private readonly failures = new Map<FailableOp, { remaining: number; message: string }>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  private seq = 0;
  private nextHostPort = 40000;

  /** The next `times` calls of `op` fail with upstream's code for it. */
  failNext(op: FailableOp, times = 1, message = `injected ${op} failure`): void {
    this.failures.set(op, { remaining: times, message });
  }

  failAlways(op: FailableOp, message?: string): void {
    this.failNext(op, Number.POSITIVE_INFINITY, message);
  }

  clearFailures(): void {
    this.failures.clear();
  }

  /** Containers that exist right now (any state). */
  get count(): number {
    return this.containers.size;
  }

  private maybeFail(op: FailableOp): void {
    const f = this.failures.get(op);
    if (!f || f.remaining <= 0) return;
    f.remaining -= 1;
    throw runtimeFailure(FAILURE_CODES[op], f.message);
  }

  private must(containerId: string): FakeContainer {
    const c = this.containers.get(containerId);
    if (!c) throw notFound('DOCKER::SANDBOX_NOT_FOUND', `No such container: ${containerId}`);
    return c;
  }

  async ping(): Promise<void> {}

  async ensureImage(uri: string): Promise<void> {
    this.calls.push(`ensureImage ${uri}`);
    if (this.images.has(uri)) return;
    this.maybeFail('pull');
    this.images.add(uri);
  }

  async createAndStart(spec: ContainerSpec): Promise<ContainerState> {
    this.calls.push(`createAndStart ${spec.name}`);
    this.maybeFail('start');
    const containerId = `fake${(++this.seq).toString(16).padStart(12, '0')}`;
    const ports = Object.fromEntries(spec.publishedPorts.map((p) => [String(p), this.nextHostPort++]));
    const state: ContainerState = {
      containerId,
      status: 'running',
      running: true,
      paused: false,
      exitCode: null,
      finishedAt: null,
      labels: { ...spec.labels },
      ports,
      pid: 1000 + this.seq,
      ipAddress: fakeIp(this.seq),
    };
    this.containers.set(containerId, { spec, state, createdAt: Date.now() });
    this.emit({ action: 'start', containerId, labels: state.labels, exitCode: null, time: new Date() });
    return { ...state };
  }

  async inspect(containerId: string): Promise<ContainerState | null> {
    const c = this.containers.get(containerId);
    return c ? { ...c.state } : null;
  }

  async pause(containerId: string): Promise<void> {
    this.calls.push(`pause ${containerId}`);
    this.maybeFail('pause');
    const c = this.must(containerId);
    if (c.state.paused) throw runtimeFailure('DOCKER::SANDBOX_PAUSE_FAILED', `Container ${containerId} is already paused`);
    c.state = { ...c.state, status: 'paused', paused: true };
  }

  async unpause(containerId: string): Promise<void> {
    this.calls.push(`unpause ${containerId}`);
    this.maybeFail('unpause');
    const c = this.must(containerId);
    if (!c.state.paused) throw runtimeFailure('DOCKER::SANDBOX_RESUME_FAILED', `Container ${containerId} is not paused`);
    c.state = { ...c.state, status: 'running', paused: false };
  }

  async remove(containerId: string): Promise<void> {
    this.calls.push(`remove ${containerId}`);
    this.maybeFail('remove');
    const c = this.containers.get(containerId);
    if (!c) return;
    this.containers.delete(containerId);
    this.emit({ action: 'destroy', containerId, labels: c.state.labels, exitCode: null, time: new Date() });
  }

  async listOwned(instanceId: string): Promise<ContainerState[]> {
    return [...this.containers.values()]
      .filter((c) => c.state.labels[LABELS.managed] === 'true' && c.state.labels[LABELS.instance] === instanceId)
      .map((c) => ({ ...c.state }));
  }

  subscribe(_instanceId: string, onEvent: (e: ContainerEvent) => void): () => void {
    this.listeners.add(onEvent);
    return () => this.listeners.delete(onEvent);
  }

  /** Deliver an engine event to subscribers (tests simulate exits, OOM kills, ...). */
  emit(e: ContainerEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Simulate the sandbox's main process exiting on its own. */
  exit(containerId: string, exitCode: number): void {
    const c = this.must(containerId);
    c.state = { ...c.state, status: 'exited', running: false, paused: false, exitCode, finishedAt: new Date(), pid: 0, ipAddress: null };
    this.emit({ action: 'die', containerId, labels: c.state.labels, exitCode, time: new Date() });
  }

  async commit(containerId: string, image: { repo: string; tag: string; labels: Record<string, string> }): Promise<{ imageId: string }> {
    const ref = `${image.repo}:${image.tag}`;
    this.calls.push(`commit ${containerId} ${ref}`);
    if (this.commitGate) await this.commitGate;
    this.maybeFail('commit');
    this.must(containerId);
    const imageId = `sha256:${(++this.seq).toString(16).padStart(64, '0')}`;
    this.images.add(ref);
    this.committed.set(ref, { imageId, labels: { ...image.labels }, from: containerId });
    return { imageId };
  }

  /** Like the engine: a container that still exists with this image keeps it ('in_use'). */
  async removeImage(ref: string): Promise<'removed' | 'absent' | 'in_use'> {
    this.calls.push(`removeImage ${ref}`);
    this.maybeFail('removeImage');
    if (!this.images.has(ref)) return 'absent';
    if ([...this.containers.values()].some((c) => c.spec.image === ref)) return 'in_use';
    this.images.delete(ref);
    this.committed.delete(ref);
    return 'removed';
  }

  async inspectVolume(name: string): Promise<FakeVolume | null> {
    return this.volumes.get(name) ?? null;
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    this.volumes.set(name, { name, driver: 'local', mountpoint: `/var/lib/docker/volumes/${name}/_data`, labels });
  }

  async removeVolume(name: string): Promise<void> {
    this.volumes.delete(name);
  }
}
