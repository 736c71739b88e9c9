import type Docker from 'dockerode';
import type { ContainerState } from '../../domain/ports.js';

/**
 * Docker's answers -> ContainerState. `running` and `paused` keep Docker's own meaning: a paused container
 * is `running: true, paused: true` (the cgroup is frozen, the process still exists). Check `paused` first
 * when deriving the sandbox state (DESIGN.md upstream §3.2: "Running and not Paused").
 */

const ZERO_TIME = /^0001-01-01/;
const ENDED = new Set(['exited', 'dead']);

type Bindings = Record<string, Array<{ HostIp?: string; HostPort?: string }> | null | undefined>;

/** "8080/tcp" -> "8080"; other protocols keep their suffix ("53/udp") so they cannot collide with tcp. */
export function portKey(containerPort: number | string, protocol = 'tcp'): string {
  return protocol === 'tcp' ? String(containerPort) : `${containerPort}/${protocol}`;
}

/** NetworkSettings.Ports -> container port -> host port; unpublished ports (null) are left out. */
export function portsFromBindings(bindings: Bindings | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [port = key, proto = 'tcp'] = key.split('/');
    // With HostIp 0.0.0.0 Docker lists one binding per address family (0.0.0.0 and ::), same port.
    const hostPort = (list ?? []).map((b) => Number(b.HostPort)).find((n) => Number.isInteger(n) && n > 0);
    if (hostPort !== undefined) out[portKey(port, proto)] = hostPort;
  }
  return out;
}

function dateOrNull(s: string | undefined): Date | null {
  if (!s || ZERO_TIME.test(s)) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

type NetworkAddresses = { IPAddress?: string; Networks?: Record<string, { IPAddress?: string } | null> | null };

/**
 * The container's address: the legacy top-level IPAddress (the default bridge), else the network named by
 * the network mode, else the first network that has one. Empty strings (stopped, host or none) are null.
 */
export function ipAddressOf(net: NetworkAddresses | null | undefined, networkMode?: string): string | null {
  const networks = net?.Networks ?? {};
  const candidates = [net?.IPAddress, networkMode ? networks[networkMode]?.IPAddress : undefined, ...Object.values(networks).map((n) => n?.IPAddress)];
  return candidates.find((ip): ip is string => typeof ip === 'string' && ip.length > 0) ?? null;
}

export function stateFromInspect(info: Docker.ContainerInspectInfo): ContainerState {
  const st = info.State;
  return {
    containerId: info.Id,
    status: st.Status,
    running: st.Running,
    paused: st.Paused,
    // Docker keeps ExitCode 0 on containers that never ran; only an ended container has an exit code.
    exitCode: ENDED.has(st.Status) ? st.ExitCode : null,
    finishedAt: ENDED.has(st.Status) ? dateOrNull(st.FinishedAt) : null,
    labels: { ...(info.Config?.Labels ?? {}) },
    ports: portsFromBindings(info.NetworkSettings?.Ports as Bindings | undefined),
    pid: st.Pid ?? 0,
    // The typings lack the top-level IPAddress the Engine API (1.41) still sends.
    ipAddress: ipAddressOf(info.NetworkSettings as NetworkAddresses | undefined, info.HostConfig?.NetworkMode),
  };
}

/** "Exited (137) 5 minutes ago" -> 137; anything else -> null. */
export function exitCodeFromStatus(status: string): number | null {
  const m = /^Exited \((-?\d+)\)/.exec(status);
  return m ? Number(m[1]) : null;
}

/**
 * A listContainers summary -> ContainerState. The summary has no PID and no FinishedAt: `pid` is 0 and
 * `finishedAt` null here even for a running container; call inspect() when those matter.
 */
export function stateFromSummary(info: Docker.ContainerInfo): ContainerState {
  const status = info.State;
  const ports: Record<string, number> = {};
  for (const p of info.Ports ?? []) {
    if (p.PublicPort) ports[portKey(p.PrivatePort, p.Type)] ??= p.PublicPort;
  }
  return {
    containerId: info.Id,
    status,
    running: status === 'running' || status === 'paused' || status === 'restarting',
    paused: status === 'paused',
    exitCode: ENDED.has(status) ? exitCodeFromStatus(info.Status) : null,
    finishedAt: null,
    labels: { ...(info.Labels ?? {}) },
    ports,
    pid: 0,
    ipAddress: ipAddressOf(info.NetworkSettings as NetworkAddresses | undefined, info.HostConfig?.NetworkMode),
  };
}

export function isEnded(state: Pick<ContainerState, 'status'>): boolean {
  return ENDED.has(state.status);
}
