import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { buildCreateOptions } from '../../src/adapters/docker/container-spec.js';
import { loadConfig } from '../../src/config.js';
import { sandboxContainerSpec } from '../../src/domain/sandbox/container-spec.js';

export type SandboxShape = { image: string; entrypoint: string[]; resourceLimits: Record<string, string> };

/**
 * The floor: the very create request the server would send for a sandbox of this shape (same pure
 * functions, the server's default config, so the same Cmd, labels, limits, CapDrop, SecurityOpt, Init,
 * ports 44772/8080 published on 127.0.0.1 with random host ports), made with dockerode directly.
 * Only the instance label differs, so the server never sees these containers as its own.
 */
export function rawCreateOptions(shape: SandboxShape, instanceId: string): Docker.ContainerCreateOptions {
  const config = loadConfig({}, hostname());
  const id = randomUUID();
  const { spec } = sandboxContainerSpec(
    { id, containerName: `sandbox-${id}`, image: shape.image, entrypoint: shape.entrypoint, env: {}, resourceLimits: shape.resourceLimits },
    { config, instanceId, binds: [] },
  );
  return buildCreateOptions(spec);
}

export async function rawCreateStart(docker: Docker, opts: Docker.ContainerCreateOptions): Promise<Docker.Container> {
  const c = await docker.createContainer(opts);
  await c.start();
  return c;
}

/** As the server's runtime removes: force (SIGKILL) with anonymous volumes. */
export async function rawRemove(c: Docker.Container): Promise<void> {
  await c.remove({ force: true, v: true });
}

export async function removeByLabel(docker: Docker, label: string): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
  return list.length;
}
