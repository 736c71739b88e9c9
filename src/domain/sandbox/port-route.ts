import type { Config } from '../../config.js';
import type { SandboxRow } from '../../db/schema/index.js';
import { conflict, invalid, runtimeFailure } from '../errors.js';

/** The execd-style proxy port upstream routes every unpublished port through (opensandbox-compat §7). */
export const PROXY_PORT = 44772;

/**
 * How a sandbox's `port` is reached from the host: the host port to connect to, and a path prefix when the
 * request has to go through execd's built-in proxy (`/proxy/<port>` on the 44772 published port). Shared by
 * the endpoint answer (clients) and the server proxy (berth itself), so the two can never disagree.
 */
export type PortRoute = { hostPort: number; pathPrefix: string };

export function assertPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('DOCKER::INVALID_PORT', 'Port must be between 1 and 65535.');
}

export function routeToPort(row: SandboxRow, config: Pick<Config, 'networkMode'>, port: number): PortRoute {
  if (config.networkMode === 'host') return { hostPort: port, pathPrefix: '' };
  const published = row.ports[String(port)];
  if (published) return { hostPort: published, pathPrefix: '' };
  const proxy = row.ports[String(PROXY_PORT)];
  if (proxy) return { hostPort: proxy, pathPrefix: `/proxy/${port}` };
  if (Object.keys(row.ports).length === 0) throw conflict('DOCKER::SANDBOX_NOT_RUNNING', `Sandbox ${row.id} is ${row.state} and has no published ports.`);
  throw runtimeFailure('DOCKER::NETWORK_MODE_ENDPOINT_UNAVAILABLE', `Port ${port} of sandbox ${row.id} is not published and no proxy port is configured.`);
}
