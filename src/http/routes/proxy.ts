import type { Context, Hono } from 'hono';
import { forwardHttp } from '../proxy/forward.js';
import type { Forwarded } from '../proxy/headers.js';
import type { Deps } from '../../domain/deps.js';
import { resolveProxyTarget } from '../../domain/sandbox/proxy-target.js';
import { parseProxyRequest } from '../proxy/proxy-path.js';
import { hostOf, isDashboardHost, SANDBOX_CONTENT_REFUSED } from '../dashboard/dashboard-host.js';
import { errorJson } from '../errors.js';

/**
 * Upstream's server-side reverse proxy: ANY /sandboxes/{id}/proxy/{port}[/...] at / and /v1, HTTP here and
 * WebSocket in proxy/upgrade.ts; a published port through its host port, any other at the container's IP.
 * Port 44772 never gets here: berth serves execd itself (routes/execd, mounted first), and that takes the
 * API key, which the SDK's execd client sends on every call. Every other port stays key-less, as upstream,
 * so browsers and apps reach sandbox services (auth.ts exempts the exact shape; the key is stripped before
 * forwarding). No body limit (a sandbox service may take large uploads), and plain Hono routes: it is a
 * tunnel, not a lifecycle operation, so it stays out of the OpenAPI document.
 */
export function registerProxyRoutes(app: Hono, deps: Deps): void {
  if (!deps.config.serverProxy) return; // disabled: the paths fall through to the 404 handler
  const handler = async (c: Context) => {
    const url = new URL(c.req.url);
    const req = parseProxyRequest(`${url.pathname}${url.search}`);
    if (!req) return c.notFound();
    if (isDashboardHost(hostOf(c), deps.config)) return errorJson(c, 404, 'GENERAL::NOT_FOUND', SANDBOX_CONTENT_REFUSED);
    const target = await resolveProxyTarget(deps, req.sandboxId, req.port);
    return forwardHttp(c.req.raw, target, req.path, forwardedOf(c, url));
  };
  for (const prefix of ['', '/v1']) {
    app.all(`${prefix}/sandboxes/:sandboxId/proxy/:port{[0-9]+}`, handler);
    app.all(`${prefix}/sandboxes/:sandboxId/proxy/:port{[0-9]+}/*`, handler);
  }
}

/** @hono/node-server puts the node request in c.env; app.request() in tests has none. */
function forwardedOf(c: Context, url: URL): Forwarded {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return { for: incoming?.socket?.remoteAddress, proto: url.protocol.replace(/:$/, ''), host: c.req.header('host') ?? url.host };
}
