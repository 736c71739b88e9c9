import type { Config } from '../../config.js';
import type { SandboxRow } from '../../db/schema/index.js';
import { conflict, invalid } from '../errors.js';

/**
 * execd's port. berth serves execd itself at `<berth>/sandboxes/{id}/proxy/44772` (routes/execd), so this
 * port is never forwarded into the container, even when it is published.
 */
export const PROXY_PORT = 44772;

/**
 * How a sandbox's `port` is reached. `host`: on berth's host at `hostPort` (a published port, or any port in
 * host network mode). `container`: not published, so only the container's own address reaches it, which
 * clients cannot use; they are sent through the server proxy. Shared by the endpoint answer (clients) and
 * the server proxy (berth itself), so the two can never disagree.
 */
export type PortRoute = { kind: 'host'; hostPort: number } | { kind: 'container' };

export function assertPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('DOCKER::INVALID_PORT', 'Port must be between 1 and 65535.');
}

export function routeToPort(row: SandboxRow, config: Pick<Config, 'networkMode'>, port: number): PortRoute {
  if (config.networkMode === 'host') return { kind: 'host', hostPort: port };
  const published = row.ports[String(port)];
  if (published) return { kind: 'host', hostPort: published };
  // No published ports at all: the container is gone or not started, so which ports it publishes is unknown.
  if (Object.keys(row.ports).length === 0) throw conflict('DOCKER::SANDBOX_NOT_RUNNING', `Sandbox ${row.id} is ${row.state} and has no published ports.`);
  return { kind: 'container' };
}
