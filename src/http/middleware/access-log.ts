import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../../domain/ports.js';

/**
 * One JSON line per request, after the response is known. `route` is the matched pattern
 * (/v1/sandboxes/:sandboxId), not the raw path, so lines group by endpoint and carry no ids twice.
 */
export function accessLog(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const handler = [...matchedRoutes(c)].reverse().find((r) => r.method !== 'ALL');
    const status = c.res.status;
    const line = {
      requestId: c.get('requestId'),
      method: c.req.method,
      route: handler?.path ?? null,
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      errorCode: c.get('errorCode') ?? null,
    };
    if (status >= 500) log.error(line, 'request');
    else log.info(line, 'request');
  };
}
