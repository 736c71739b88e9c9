import type { Deps } from '../deps.js';
import { conflict, invalid, runtimeFailure } from '../errors.js';
import { getSandbox } from './get-sandbox.js';

/** The execd-style proxy port upstream routes every unpublished port through (opensandbox-compat §7). */
export const PROXY_PORT = 44772;

/**
 * Where a client reaches `port` of a sandbox: no scheme, as upstream. A published port answers
 * host:hostPort; any other port goes through the proxy port's `/proxy/<port>` path, as upstream does
 * with execd. No check that anything listens (the SDK asks for 44772 and 18080 right after create).
 */
export async function getSandboxEndpoint(
  deps: Pick<Deps, 'db' | 'config'>,
  id: string,
  port: number,
): Promise<{ endpoint: string; headers?: Record<string, string> }> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('DOCKER::INVALID_PORT', 'Port must be between 1 and 65535.');
  const row = await getSandbox(deps, id);
  const host = deps.config.publicHost;
  if (deps.config.networkMode === 'host') return { endpoint: `${host}:${port}` };
  const published = row.ports[String(port)];
  if (published) return { endpoint: `${host}:${published}` };
  const proxy = row.ports[String(PROXY_PORT)];
  if (proxy) return { endpoint: `${host}:${proxy}/proxy/${port}` };
  if (Object.keys(row.ports).length === 0)
    throw conflict('DOCKER::SANDBOX_NOT_RUNNING', `Sandbox ${id} is ${row.state} and has no published ports.`);
  throw runtimeFailure('DOCKER::NETWORK_MODE_ENDPOINT_UNAVAILABLE', `Port ${port} of sandbox ${id} is not published and no proxy port is configured.`);
}
