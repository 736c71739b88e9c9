import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * As much of a request body nobody read as is discarded to keep the connection for the next request;
 * beyond that the answer closes it. The same rule and bound as Go's net/http (maxPostHandlerReadBytes).
 */
export const MAX_DISCARD_BYTES = 256 * 1024;

/**
 * No answer may close a connection under a request still in flight on it. @hono/node-server (2.1.9, 2.1.11)
 * drains a body the app left unread after answering and destroys the socket if that takes over 500 ms,
 * which happens whenever the body had been half read through a stream (a body limit that gave up, an early
 * error): the keep-alive client has sent its next request on that socket by then, sees ECONNRESET, and a
 * create it retries may have been carried out already. So before the answer goes out: a body left unread
 * (an unknown route, a 401, a 4xx before parsing) is read to its end and thrown away, up to
 * MAX_DISCARD_BYTES; one that is larger, half read or unreadable gets `Connection: close` on its answer, so
 * the client opens a new connection for its next request instead of reusing one about to be closed.
 * Outermost middleware: it sees the final answer, errors and 404s included.
 */
export function settleUnreadBody(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    // app.request() in tests has no socket; GET and HEAD bodies are not drained by node-server.
    if (!incoming || c.req.method === 'GET' || c.req.method === 'HEAD' || incoming.readableEnded) return;
    if (await discardUnread(c, incoming)) return;
    closeAfterAnswer(c);
  };
}

async function discardUnread(c: Context, incoming: IncomingMessage): Promise<boolean> {
  const declared = Number(incoming.headers['content-length']);
  if (declared > MAX_DISCARD_BYTES) return false;
  const body = c.req.raw.body;
  // Someone read part of it (or holds a reader): what is left cannot be reached from here.
  if (!body || c.req.raw.bodyUsed || body.locked) return incoming.readableEnded;
  const reader = body.getReader();
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      seen += value.byteLength;
      if (seen > MAX_DISCARD_BYTES) {
        await reader.cancel().catch(() => {});
        return false;
      }
    }
  } catch {
    return false; // the client went away mid-body: nothing to keep
  }
}

function closeAfterAnswer(c: Context): void {
  try {
    c.res.headers.set('Connection', 'close');
  } catch {
    // A Response with immutable headers (one fetch() returned, e.g. the server proxy's): copy it.
    const res = new Response(c.res.body, c.res);
    res.headers.set('Connection', 'close');
    c.res = res;
  }
}
