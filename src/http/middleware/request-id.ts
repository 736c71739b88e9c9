import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

export const REQUEST_ID_HEADER = 'X-Request-ID';

/** 32 hex chars, as upstream's uuid4().hex. */
export const newRequestId = (): string => randomBytes(16).toString('hex');

/**
 * Outermost middleware, as upstream: the client's X-Request-ID (trimmed) or 32 hex chars (uuid4().hex
 * in upstream) on EVERY response, 401/404/500 included. The header is set before next() so responses
 * built through the context carry it, and again afterwards for responses a handler built by hand.
 */
export function requestId(): MiddlewareHandler {
  return async (c, next) => {
    const sent = c.req.header(REQUEST_ID_HEADER)?.trim();
    const id = sent ? sent : newRequestId();
    c.set('requestId', id);
    c.header(REQUEST_ID_HEADER, id);
    await next();
    try {
      if (c.res.headers.get(REQUEST_ID_HEADER) !== id) c.res.headers.set(REQUEST_ID_HEADER, id);
    } catch {
      // immutable headers (a Response passed through from fetch): copy it into one we own
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set(REQUEST_ID_HEADER, id);
    }
  };
}
