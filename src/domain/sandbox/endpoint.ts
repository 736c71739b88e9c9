import type { Deps } from '../deps.js';
import { invalid } from '../errors.js';
import { getSandbox } from './get-sandbox.js';
import { assertPort, routeToPort } from './port-route.js';

export { PROXY_PORT } from './port-route.js';

export type EndpointOptions = {
  /**
   * Set for `use_server_proxy=true`: the request's own base (host[:port], scheme stripped), used when
   * BERTH_PUBLIC_URL does not say where clients reach this server.
   */
  serverProxyBase?: string;
};

/**
 * Where a client reaches `port` of a sandbox: no scheme, as upstream. A published port answers
 * host:hostPort; any other port goes through the proxy port's `/proxy/<port>` path, as upstream does
 * with execd. No check that anything listens (the SDK asks for 44772 and 18080 right after create).
 * With the server proxy asked for, the answer is this server's `/sandboxes/<id>/proxy/<port>` (no /v1,
 * as upstream), so clients that cannot reach the published ports (loopback by default) still get through.
 */
export async function getSandboxEndpoint(
  deps: Pick<Deps, 'db' | 'config'>,
  id: string,
  port: number,
  opts: EndpointOptions = {},
): Promise<{ endpoint: string; headers?: Record<string, string> }> {
  if (opts.serverProxyBase !== undefined && !deps.config.serverProxy)
    throw invalid('SANDBOX::INVALID_PARAMETER', 'use_server_proxy=true is not available: the server proxy is disabled on this server.');
  assertPort(port);
  const row = await getSandbox(deps, id);
  if (opts.serverProxyBase !== undefined) {
    const base = publicBase(deps.config.publicUrl) ?? opts.serverProxyBase;
    return { endpoint: `${base}/sandboxes/${encodeURIComponent(row.id)}/proxy/${port}` };
  }
  const route = routeToPort(row, deps.config, port);
  return { endpoint: `${deps.config.publicHost}:${route.hostPort}${route.pathPrefix}` };
}

/** `https://berth.example.com/base/` -> `berth.example.com/base`: the SDK adds the scheme itself. */
export function publicBase(url: string | undefined): string | undefined {
  if (!url) return undefined;
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}
