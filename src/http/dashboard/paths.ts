/** Where the dashboard is served, and the paths the API key check leaves to the dashboard's own session check. */
export const DASHBOARD_BASE = '/dashboard';

export function isDashboardPath(path: string): boolean {
  return path === DASHBOARD_BASE || path.startsWith(`${DASHBOARD_BASE}/`);
}
