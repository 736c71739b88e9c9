import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../../config.js';
import { errorJson } from '../errors.js';
import { isDashboardPath } from '../dashboard/paths.js';
import { isExecdPath, isProxyPath } from '../proxy/proxy-path.js';

export const API_KEY_HEADER = 'OPEN-SANDBOX-API-KEY';

// Upstream's exact codes and sentences (DESIGN.md upstream §1.2).
export const MISSING_API_KEY = {
  code: 'MISSING_API_KEY',
  message: 'Authentication credentials are missing. Provide API key via OPEN-SANDBOX-API-KEY header.',
} as const;
export const INVALID_API_KEY = {
  code: 'INVALID_API_KEY',
  message: 'Authentication credentials are invalid. Check your API key and try again.',
} as const;

/** Exact paths only: a prefix rule ("/health*") would also open any route that happens to start alike. */
const EXEMPT = new Set(['/health', '/ready', '/docs', '/openapi.json']);
/** EventSource cannot send headers, so the SSE stream may carry the key as ?api_key=. */
const QUERY_KEY_ROUTE = /^(\/v1)?\/events$/;
/**
 * Prometheus can send `Authorization: Bearer <key>` but not a custom header, so /metrics takes either.
 * It needs a key at all because sandbox counts by state describe the deployment to whoever asks.
 */
const METRICS_ROUTE = '/metrics';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function presentedKey(c: Context): string | undefined {
  const header = c.req.header(API_KEY_HEADER);
  if (header) return header;
  const path = c.req.path;
  if (QUERY_KEY_ROUTE.test(path)) return c.req.query('api_key') || undefined;
  if (path === METRICS_ROUTE) {
    const m = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '');
    return m?.[1];
  }
  return undefined;
}

/**
 * OPEN-SANDBOX-API-KEY check. Both sides are hashed before timingSafeEqual, so neither the content nor
 * the length of the configured key leaks through response timing. Without a key the app only runs
 * when the operator said so explicitly (insecureNoAuth); building it otherwise is a programming error.
 */
export function apiKeyAuth(config: Pick<Config, 'apiKey' | 'insecureNoAuth'> & Partial<Pick<Config, 'serverProxy'>>): MiddlewareHandler {
  if (!config.apiKey) {
    if (!config.insecureNoAuth) throw new Error('no API key configured: set BERTH_API_KEY, or BERTH_INSECURE_NO_AUTH=true to run open');
    return (_c, next) => next();
  }
  const expected = digest(config.apiKey);
  return async (c, next) => {
    if (EXEMPT.has(c.req.path)) return next();
    // The dashboard checks its own signed session cookie (http/dashboard/session.ts); its sign-in page needs neither.
    if (isDashboardPath(c.req.path)) return next();
    // The server proxy to a sandbox's own ports, as upstream: browsers and apps reach sandbox services
    // without the server's key. Only the exact route shape, only while the proxy is on, and never the execd
    // port: berth serves execd itself and it runs commands, so it takes the key (the SDK sends it on every
    // execd call). The proxy strips any key before forwarding.
    if (config.serverProxy && isProxyPath(c.req.path) && !isExecdPath(c.req.path)) return next();
    const key = presentedKey(c);
    if (!key) return errorJson(c, 401, MISSING_API_KEY.code, MISSING_API_KEY.message);
    if (!timingSafeEqual(digest(key), expected)) return errorJson(c, 401, INVALID_API_KEY.code, INVALID_API_KEY.message);
    return next();
  };
}
