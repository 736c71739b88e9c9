/** Where the dashboard is served, and the paths the API key check leaves to the dashboard's own session check. */
export const DASHBOARD_BASE = '/dashboard';

export function isDashboardPath(path: string): boolean {
  return path === DASHBOARD_BASE || path.startsWith(`${DASHBOARD_BASE}/`);
}

/** The file browser's upload: its body is a file, bounded by the execd upload limit (spooled), not the API's 1 MiB. */
export const isDashboardUploadPath = (path: string) => /^\/dashboard\/sandboxes\/[^/]+\/files\/upload$/.test(path);
