import type { Config } from '../../config.js';
import type { PoolRow } from '../../db/schema/index.js';
import type { ResourceUpdate } from '../ports.js';
import { sandboxContainerSpec } from '../sandbox/container-spec.js';
import type { ValidCreate } from '../sandbox/validate-create.js';
import { sameJson, sameMap } from './template.js';

/**
 * Whether an idle slot of `pool` can answer the validated create `v`, and the `docker update` that makes it
 * what a cold create would have started. A started container keeps its image, entrypoint, env, platform and
 * mounts, so those must equal the template exactly (env the template lacks is a cold create: berth's execd
 * is the Docker exec API, which would not add it to processes the entrypoint starts). cpu, memory and pids
 * can be changed on a running container; a gpu request, or a limit the request drops, cannot.
 * Returns null when the request needs a cold create.
 */
export function fitToPool(pool: PoolRow, v: ValidCreate, config: Config): { update: ResourceUpdate } | null {
  if (v.snapshotId !== null || v.volumes.length > 0) return null;
  if (v.image !== pool.image || !sameJson(v.entrypoint, pool.entrypoint) || !sameMap(v.env, pool.env)) return null;
  if (!sameJson(v.platform ?? null, pool.platform ?? null)) return null;
  const ctx = { config, instanceId: '', binds: [] };
  const want = sandboxContainerSpec({ id: '', containerName: '', image: '', entrypoint: [], env: {}, resourceLimits: v.resourceLimits }, ctx).spec;
  const have = sandboxContainerSpec({ id: '', containerName: '', image: '', entrypoint: [], env: {}, resourceLimits: pool.resourceLimits }, ctx).spec;
  if (want.gpuCount !== have.gpuCount) return null;
  const update: ResourceUpdate = {};
  for (const k of ['nanoCpus', 'memoryBytes', 'pidsLimit'] as const) {
    if (want[k] === have[k]) continue;
    // Docker reads 0 as "leave as it is": a limit cannot be taken away from a started container.
    if (want[k] === undefined) return null;
    update[k] = want[k];
  }
  return { update };
}
