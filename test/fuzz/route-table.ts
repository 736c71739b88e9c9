import { appWithoutDb } from '../helpers/app-without-db.js';
import type { Route } from './requests.js';

/**
 * Every route the app registers, read from the app itself (a route added later is fuzzed without a
 * change here). Building the app touches no database; middleware (`use('*')`) is left out.
 */
export function appRoutes(): Route[] {
  const seen = new Map<string, Route>();
  for (const r of appWithoutDb('fuzz-routes').routes) {
    if (r.method === 'ALL' && /^[^:]*\*$/.test(r.path)) continue; // middleware
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}
