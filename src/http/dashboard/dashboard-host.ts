import type { Context } from 'hono';
import type { Config } from '../../config.js';

/**
 * Whether a request's Host header names the dashboard's own host (BERTH_DASHBOARD_HOST). A configured host
 * without a port matches that name on any port; one with a port matches only it.
 */
export function isDashboardHost(host: string | undefined, config: Pick<Config, 'dashboardHost'>): boolean {
  const own = config.dashboardHost;
  if (!own || !host) return false;
  const asked = host.trim().toLowerCase();
  if (asked === own) return true;
  return !/:\d+$/.test(own) && asked.replace(/:\d+$/, '') === own;
}

/** Where sandbox content must not be served: the dashboard's host, when it has one. */
export const SANDBOX_CONTENT_REFUSED = 'Sandbox services are not served on the dashboard host (BERTH_DASHBOARD_HOST); use the API host for the server proxy.';

/** The host a request was sent to: its Host header (a real socket always has one), else its URL's. */
export const hostOf = (c: Context): string => c.req.header('host') ?? new URL(c.req.url).host;
