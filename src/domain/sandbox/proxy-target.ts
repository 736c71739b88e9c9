import type { Config } from '../../config.js';
import type { SandboxRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { conflict, notFound, runtimeFailure } from '../errors.js';
import type { ContainerRuntime } from '../ports.js';
import { getSandbox } from './get-sandbox.js';
import { assertPort, PROXY_PORT, routeToPort } from './port-route.js';

/** Where berth itself connects to serve /sandboxes/{id}/proxy/{port}: an address reachable from its host. */
export type ProxyTarget = { host: string; port: number };

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The server proxy's target for `port` of sandbox `id`. Only a Running sandbox is proxied (a paused one
 * would hang the connection, a finished one has no ports). A published port is reached on the host port
 * (no engine call); any other port at the container's own address on its network, asked of the engine
 * each time (an address is reused by the next container once this one stops).
 */
export async function resolveProxyTarget(deps: Pick<Deps, 'db' | 'config' | 'runtime'>, id: string, port: number): Promise<ProxyTarget> {
  if (!deps.config.serverProxy) throw notFound('GENERAL::NOT_FOUND', 'The server proxy is disabled on this server.');
  assertPort(port);
  const row = await getSandbox(deps, id);
  return hostTargetOf(row, deps.config, port) ?? containerTargetOf(deps.runtime, row, port);
}

/**
 * Pure part of resolveProxyTarget: the checks, then the target on berth's own host (a published port, or
 * host network mode), or null when only the container's address reaches the port.
 */
export function hostTargetOf(row: SandboxRow, config: Pick<Config, 'networkMode' | 'publishHostIp' | 'hostId'>, port: number): ProxyTarget | null {
  // berth serves execd itself (routes/execd); whatever listens on 44772 inside is never exposed.
  if (port === PROXY_PORT) throw notFound('GENERAL::NOT_FOUND', `Port ${PROXY_PORT} is execd, served by berth itself; it is not forwarded.`);
  if (row.state !== 'Running') throw conflict('DOCKER::SANDBOX_NOT_RUNNING', `Sandbox ${row.id} is ${row.state}, not Running.`);
  // Published ports are bound, and bridge addresses routable, only on the host that runs the container;
  // here they would be some other sandbox's (or nothing) when the row belongs to another berth host.
  if (row.hostId !== config.hostId) throw conflict('SANDBOX::PROXY_OTHER_HOST', `Sandbox ${row.id} runs on another host; use that host's server proxy.`);
  const route = routeToPort(row, config, port);
  if (route.kind === 'container') return null;
  // Host network mode shares the host's loopback; a wildcard bind answers on loopback too.
  const host = config.networkMode === 'host' || WILDCARDS.has(config.publishHostIp) ? '127.0.0.1' : config.publishHostIp.replace(/^\[|\]$/g, '');
  return { host, port: route.hostPort };
}

/** An unpublished port: the container's IP (berth runs on the engine's host, where bridge IPs are routable). */
export async function containerTargetOf(runtime: Pick<ContainerRuntime, 'inspect'>, row: SandboxRow, port: number): Promise<ProxyTarget> {
  const state = row.containerId ? await runtime.inspect(row.containerId) : null;
  if (!state?.running || state.paused) throw conflict('DOCKER::SANDBOX_NOT_RUNNING', `Sandbox ${row.id} has no running container.`);
  if (!state.ipAddress)
    throw runtimeFailure('DOCKER::NETWORK_MODE_ENDPOINT_UNAVAILABLE', `Sandbox ${row.id} has no address on a Docker network; port ${port} is not published.`);
  return { host: state.ipAddress, port };
}
