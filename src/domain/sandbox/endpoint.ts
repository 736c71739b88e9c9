import type { Config } from '../../config.js';
import type { Deps } from '../deps.js';
import { invalid, runtimeFailure } from '../errors.js';
import { getSandbox } from './get-sandbox.js';
import { assertPort, PROXY_PORT, routeToPort } from './port-route.js';

export { PROXY_PORT } from './port-route.js';

/**
 * The egress sidecar's port. `Sandbox.create` resolves it right after create and deletes the sandbox when
 * that fails; berth has no sidecar, so nothing serves it either way (as upstream without a network policy).
 */
export const EGRESS_PORT = 18080;

export type EndpointOptions = {
  /** `use_server_proxy=true`: the answer is this server's proxy path for any port. */
  useServerProxy?: boolean;
  /** This server as the client reached it (the Host header), for when BERTH_PUBLIC_URL is not set. */
  requestBase: string;
};

/**
 * Where a client reaches `port` of a sandbox: no scheme, as upstream. No check that anything listens (the
 * SDK asks for 44772 and 18080 right after create).
 * - 44772 (execd) is always this server's `/sandboxes/<id>/proxy/44772`, in both modes and with the server
 *   proxy off: berth serves execd itself there (the SDK prepends the scheme and appends execd's paths).
 * - use_server_proxy=true: this server's `/sandboxes/<id>/proxy/<port>` (no /v1, as upstream), for clients
 *   that cannot reach the published ports (loopback by default).
 * - otherwise a published port (or host network mode) is `publicHost:hostPort`; an unpublished one is only
 *   reachable through the server proxy, so it gets the proxy's address, or an error when the proxy is off
 *   (upstream answers `<44772>/proxy/<port>` there, which nothing serves in berth's containers).
 */
export async function getSandboxEndpoint(
  deps: Pick<Deps, 'db' | 'config'>,
  id: string,
  port: number,
  opts: EndpointOptions,
): Promise<{ endpoint: string; headers?: Record<string, string> }> {
  assertPort(port);
  const { config } = deps;
  const berth = (rowId: string) => ({ endpoint: `${serverBase(config, opts)}/sandboxes/${encodeURIComponent(rowId)}/proxy/${port}` });
  if (port === PROXY_PORT) return berth((await getSandbox(deps, id)).id);
  if (opts.useServerProxy && !config.serverProxy)
    throw invalid('SANDBOX::INVALID_PARAMETER', 'use_server_proxy=true is not available: the server proxy is disabled on this server.');
  const row = await getSandbox(deps, id);
  if (opts.useServerProxy) return berth(row.id);
  // An unpublished port goes through the server proxy, whatever the container's state: the address is right
  // as long as the sandbox lives, and the proxy itself says 409 while nothing runs (a container that already
  // exited must not fail Sandbox.create's endpoint lookups before its health check sees it). With the proxy
  // off, the egress address answers a JSON 404: good enough for an egress client nobody calls.
  const unpublished = config.networkMode !== 'host' && !row.ports[String(port)];
  if (unpublished && (config.serverProxy || port === EGRESS_PORT)) return berth(row.id);
  const route = routeToPort(row, config, port);
  if (route.kind === 'host') return { endpoint: `${config.publicHost}:${route.hostPort}` };
  throw runtimeFailure(
    'DOCKER::NETWORK_MODE_ENDPOINT_UNAVAILABLE',
    `Port ${port} of sandbox ${row.id} is not published and the server proxy is disabled (BERTH_SERVER_PROXY=false): nothing can reach it. ` +
      'Publish it with BERTH_PUBLISHED_PORTS or enable the server proxy.',
  );
}

function serverBase(config: Pick<Config, 'publicUrl'>, opts: EndpointOptions): string {
  return publicBase(config.publicUrl) ?? opts.requestBase;
}

/** `https://berth.example.com/base/` -> `berth.example.com/base`: the SDK adds the scheme itself. */
export function publicBase(url: string | undefined): string | undefined {
  if (!url) return undefined;
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}
