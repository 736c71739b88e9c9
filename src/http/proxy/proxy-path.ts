import { invalid } from '../../domain/errors.js';
import { PROXY_PORT as EXECD_PORT } from '../../domain/sandbox/port-route.js';

/**
 * Upstream's server-proxy route shape (DESIGN.md upstream §1.2), matched on the raw path. It is the only
 * unauthenticated route with parameters, so auth, the HTTP route and the upgrade handler all use this one
 * regex rather than three spellings of it. Dot-all: Hono hands over the decoded path, so a `%0A` is a line
 * break the rest must match too (else the app's own body limit read an execd body before execd's: a 500).
 */
export const PROXY_PATH = /^(?:\/v1)?\/sandboxes\/([^/]+)\/proxy\/(\d+)(\/.*)?$/s;

export type ProxyRequest = { sandboxId: string; port: number; path: string };

/**
 * Whether a path (no query) has the proxy route's shape. A `..` path still counts: the proxy handler is then
 * what answers it (400), before anything is looked up or forwarded.
 */
export const isProxyPath = (pathname: string): boolean => PROXY_PATH.test(pathname);

/** The execd port's path (`.../proxy/44772[/...]`): berth serves it itself and it takes the API key. */
export const isExecdPath = (pathname: string): boolean => PROXY_PATH.exec(pathname)?.[2] === String(EXECD_PORT);

/**
 * Upstream refuses any proxy path containing `..`; so do we, also percent-encoded (`%2e%2e`), which
 * the sandbox's server might decode and resolve even though URL parsing here left it alone.
 */
export function hasTraversal(pathname: string): boolean {
  return /(?:%2e|\.){2}/i.test(pathname);
}

/**
 * `/v1/sandboxes/<id>/proxy/<port>/rest?q` -> the sandbox, the port, and the path to ask the target for
 * (`/rest?q`, `/` when there is no rest). Null when it is not a proxy route at all; a 400 for `..`.
 */
export function parseProxyRequest(pathAndQuery: string): ProxyRequest | null {
  const q = pathAndQuery.indexOf('?');
  const pathname = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const search = q < 0 ? '' : pathAndQuery.slice(q);
  const m = PROXY_PATH.exec(pathname);
  if (!m) return null;
  if (hasTraversal(pathname)) throw invalid('SANDBOX::INVALID_PARAMETER', 'A proxy path must not contain "..".');
  const sandboxId = safeDecode(m[1]!);
  // Postgres refuses a NUL in text: the lookup would fail as a 500. No sandbox id can hold one.
  if (sandboxId.includes('\0')) throw invalid('SANDBOX::INVALID_PARAMETER', 'A sandbox id must not contain a NUL character.');
  const port = m[2]!.length > 5 ? Number.NaN : Number(m[2]);
  return { sandboxId, port, path: `${m[3] ?? '/'}${search}` };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
