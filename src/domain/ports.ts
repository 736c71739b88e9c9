import type { Db } from '../db/types.js';

export type { Db };

export interface Clock {
  now(): Date;
}

export interface Ids {
  sandbox(): string;
  event(): string;
  /** generic prefixed id: mnt_, whk_, dlv_, ... */
  prefixed(prefix: string): string;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
}

/** A container as berth asks Docker for it; built by the pure container-spec builder. */
export type ContainerSpec = {
  name: string;
  image: string;
  cmd: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  nanoCpus?: number;
  memoryBytes?: number;
  pidsLimit?: number;
  gpuCount?: number; // -1 = all
  networkMode: string;
  publishedPorts: number[];
  publishHostIp: string;
  capDrop: string[];
  securityOpt: string[];
  /** "source:target[:ro]" (host path or named volume) */
  binds: string[];
};

export type ContainerState = {
  containerId: string;
  status: 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing' | string;
  running: boolean;
  paused: boolean;
  exitCode: number | null;
  finishedAt: Date | null;
  labels: Record<string, string>;
  /** container port -> host port */
  ports: Record<string, number>;
  /** PID of the container's init process on the host, 0 when not running (for /proc/<pid>/mountinfo) */
  pid: number;
  /**
   * The container's own address on its Docker network, null when it has none (not running, host or none
   * network). berth runs on the engine's host, where bridge addresses are routable: the server proxy
   * reaches unpublished ports there.
   */
  ipAddress: string | null;
};

/** Limits a started container can change (`docker update`); absent fields stay as they are. */
export type ResourceUpdate = { nanoCpus?: number; memoryBytes?: number; pidsLimit?: number };

export type ContainerEvent = {
  action: string; // die, destroy, pause, unpause, start, oom, kill, ...
  containerId: string;
  labels: Record<string, string>;
  exitCode: number | null;
  time: Date;
};

export interface ContainerRuntime {
  ping(): Promise<void>;
  /**
   * Pull the image when it is not present. Throws with a clean message: 400 DOCKER::IMAGE_NOT_FOUND (the
   * registry has no such image), 400 DOCKER::IMAGE_PULL_UNAUTHORIZED (it refused the credentials), else
   * DOCKER::SANDBOX_IMAGE_PULL_FAILED (registry unreachable or failing).
   */
  ensureImage(uri: string, auth?: { username: string; password: string }): Promise<void>;
  /** create + start; removes a half-made container on failure. */
  createAndStart(spec: ContainerSpec): Promise<ContainerState>;
  inspect(containerId: string): Promise<ContainerState | null>;
  pause(containerId: string): Promise<void>;
  unpause(containerId: string): Promise<void>;
  /**
   * `docker update` of a running container's cpu, memory and pids limits (a warm-pool claim applies the
   * request's limits this way). Optional: a runtime without it makes every differing claim a cold create.
   */
  updateResources?(containerId: string, r: ResourceUpdate): Promise<void>;
  /** kill + remove(force); a missing container is not an error. */
  remove(containerId: string): Promise<void>;
  /** containers carrying berth's managed label for this instance, exited ones included */
  listOwned(instanceId: string): Promise<ContainerState[]>;
  /** Subscribe to container events for berth's containers; returns an unsubscribe function. */
  subscribe(instanceId: string, onEvent: (e: ContainerEvent) => void, onError: (err: Error) => void): () => void;
  /**
   * `docker commit` (pausing a running container for the copy) to `image.repo:image.tag`, with extra image
   * labels. Returns the new image's id. The caller owns the tag: it removes it when the snapshot goes.
   */
  commit(containerId: string, image: { repo: string; tag: string; labels: Record<string, string> }): Promise<{ imageId: string }>;
  /** Remove an image by reference: 'absent' when there is none, 'in_use' when a container still uses it. */
  removeImage(ref: string): Promise<'removed' | 'absent' | 'in_use'>;
  /** Named volumes (pvc backend) */
  inspectVolume(name: string): Promise<{ name: string; driver: string; mountpoint: string; labels: Record<string, string> } | null>;
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  removeVolume(name: string): Promise<void>;
}

/** Label keys on everything berth creates; nothing without berth.managed + our instance id is ever touched. */
export const LABELS = {
  managed: 'berth.managed',
  instance: 'berth.instance',
  sandboxId: 'berth.sandbox-id',
  hostId: 'berth.host-id',
  /** on snapshot images: the snapshot they hold */
  snapshotId: 'berth.snapshot-id',
  /** on warm-pool containers: the pool they were started for (kept after a claim; the label cannot change) */
  pool: 'berth.pool',
  /** upstream's id label, so OpenSandbox tooling that greps labels still finds our containers */
  upstreamId: 'opensandbox.io/id',
} as const;
