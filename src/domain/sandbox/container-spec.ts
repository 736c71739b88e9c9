import type { Config } from '../../config.js';
import { LABELS, type ContainerSpec } from '../ports.js';
import { parseResourceLimits } from './resources.js';

export type SandboxIntent = {
  id: string;
  containerName: string;
  image: string;
  entrypoint: string[];
  env: Record<string, string>;
  resourceLimits: Record<string, string>;
};

/** The container berth asks Docker for, from the sandbox's intent and the operator's config. Pure. */
export function sandboxContainerSpec(
  s: SandboxIntent,
  ctx: { config: Config; instanceId: string; binds: string[] },
): { spec: ContainerSpec; ignoredLimits: string[] } {
  const limits = parseResourceLimits(s.resourceLimits);
  const { config } = ctx;
  const spec: ContainerSpec = {
    name: s.containerName,
    image: s.image,
    cmd: s.entrypoint,
    env: s.env,
    labels: {
      [LABELS.managed]: 'true',
      [LABELS.instance]: ctx.instanceId,
      [LABELS.sandboxId]: s.id,
      [LABELS.hostId]: config.hostId,
      [LABELS.upstreamId]: s.id,
    },
    nanoCpus: limits.nanoCpus,
    memoryBytes: limits.memoryBytes,
    gpuCount: limits.gpuCount,
    // The operator's limit is a ceiling; a sandbox may ask for fewer processes, never more.
    pidsLimit: limits.pids === undefined ? config.pidsLimit : Math.min(limits.pids, config.pidsLimit),
    networkMode: config.networkMode,
    publishedPorts: config.networkMode === 'host' ? [] : config.publishedPorts,
    publishHostIp: config.publishHostIp,
    capDrop: config.dropCapabilities,
    securityOpt: config.noNewPrivileges ? ['no-new-privileges:true'] : [],
    binds: ctx.binds,
  };
  return { spec, ignoredLimits: limits.ignored };
}
