import type { MiddlewareHandler } from 'hono';

/**
 * Hono answers a HEAD by running the GET route and dropping the body it made, neither read nor cancelled. For
 * a streamed body that is not free: a file download would go on reading the engine's archive into memory and
 * a spill file, kept until garbage collection. So the dropped body is cancelled here, which tears its source
 * down at once; the headers (Content-Length included) stay the GET's, as HEAD requires.
 */
export function cancelHeadBody(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.req.method !== 'HEAD' || !c.res.body) return;
    await c.res.body.cancel().catch(() => {});
    c.res = new Response(null, c.res);
  };
}
