import type { Config } from '../../config.js';
import type { SandboxRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { conflict, notFound } from '../errors.js';
import { getSandbox } from './get-sandbox.js';
import { assertPort, routeToPort } from './port-route.js';

/** Where berth itself connects to serve /sandboxes/{id}/proxy/{port}: a host-side address, plus a path prefix. */
export type ProxyTarget = { host: string; port: number; pathPrefix: string };

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The server proxy's target for `port` of sandbox `id`. Only a Running sandbox is proxied (a paused one
 * would hang the connection, a finished one has no ports). The route is the endpoint's (routeToPort), but
 * the address is the one berth reaches on its own host, not the public one it tells clients.
 */
export async function resolveProxyTarget(deps: Pick<Deps, 'db' | 'config'>, id: string, port: number): Promise<ProxyTarget> {
  if (!deps.config.serverProxy) throw notFound('GENERAL::NOT_FOUND', 'The server proxy is disabled on this server.');
  assertPort(port);
  const row = await getSandbox(deps, id);
  return proxyTargetOf(row, deps.config, port);
}

/** Pure part of resolveProxyTarget, for unit tests. */
export function proxyTargetOf(row: SandboxRow, config: Pick<Config, 'networkMode' | 'publishHostIp' | 'hostId'>, port: number): ProxyTarget {
  if (row.state !== 'Running') throw conflict('DOCKER::SANDBOX_NOT_RUNNING', `Sandbox ${row.id} is ${row.state}, not Running.`);
  // Published ports are bound on the host that runs the container; 127.0.0.1 here would be some other
  // sandbox's port (or nothing) when the row belongs to another berth host sharing the database.
  if (row.hostId !== config.hostId) throw conflict('SANDBOX::PROXY_OTHER_HOST', `Sandbox ${row.id} runs on another host; use that host's server proxy.`);
  const route = routeToPort(row, config, port);
  // Host network mode shares the host's loopback; a wildcard bind answers on loopback too.
  const host = config.networkMode === 'host' || WILDCARDS.has(config.publishHostIp) ? '127.0.0.1' : config.publishHostIp.replace(/^\[|\]$/g, '');
  return { host, port: route.hostPort, pathPrefix: route.pathPrefix };
}
