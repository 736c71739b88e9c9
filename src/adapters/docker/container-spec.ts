import type Docker from 'dockerode';
import type { ContainerSpec } from '../../domain/ports.js';

/**
 * Network modes that cannot publish ports: `host` shares the host's ports already, `none` has no
 * network, and `container:<id>` borrows another container's namespace (Docker refuses port bindings there).
 */
export function publishesPorts(networkMode: string): boolean {
  return !(networkMode === 'host' || networkMode === 'none' || networkMode.startsWith('container:'));
}

/**
 * Maps the domain's ContainerSpec to a dockerode create request. Pure: no I/O, no defaults from config
 * (the domain already applied them), so what Docker is asked for is exactly what this returns.
 */
export function buildCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const [entry, ...args] = spec.cmd;
  const ports = publishesPorts(spec.networkMode) ? spec.publishedPorts : [];

  const hostConfig: Docker.HostConfig = {
    NetworkMode: spec.networkMode,
    CapDrop: [...spec.capDrop],
    SecurityOpt: [...spec.securityOpt],
    Binds: [...spec.binds],
    // docker-init as PID 1: forwards SIGTERM to the user's process and reaps zombies, so a stop does not
    // wait out the 10 s kill timeout on a PID 1 that ignores signals (host-facts §3).
    Init: true,
  };
  if (spec.nanoCpus !== undefined) hostConfig.NanoCpus = spec.nanoCpus;
  if (spec.memoryBytes !== undefined) hostConfig.Memory = spec.memoryBytes;
  if (spec.pidsLimit !== undefined) hostConfig.PidsLimit = spec.pidsLimit;
  if (spec.gpuCount !== undefined) {
    hostConfig.DeviceRequests = [{ Driver: '', Count: spec.gpuCount, Capabilities: [['gpu']], Options: {} }];
  }
  if (ports.length > 0) {
    // HostPort '' lets Docker pick a free port atomically when it binds, unlike upstream's probe-then-bind race.
    hostConfig.PortBindings = Object.fromEntries(ports.map((p) => [`${p}/tcp`, [{ HostIp: spec.publishHostIp, HostPort: '' }]]));
  }

  const options: Docker.ContainerCreateOptions = {
    name: spec.name,
    Image: spec.image,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: { ...spec.labels },
    HostConfig: hostConfig,
  };
  // The user's entrypoint replaces the image's ENTRYPOINT and CMD entirely: Entrypoint = its first word,
  // Cmd = the rest. A non-empty Entrypoint also stops Docker from appending the image's CMD, so
  // ["/bin/sh","-c","exit 3"] runs exactly as given whatever the image declares. An empty cmd keeps the
  // image's own ENTRYPOINT/CMD (the domain normally refuses it with DOCKER::INVALID_ENTRYPOINT).
  if (entry !== undefined) {
    options.Entrypoint = [entry];
    options.Cmd = args;
  }
  if (ports.length > 0) options.ExposedPorts = Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}]));
  return options;
}
