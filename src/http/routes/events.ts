import type { OpenAPIHono } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { Deps } from '../../domain/deps.js';
import { openEventStream } from '../../domain/events/stream.js';
import { streamEventsRoute } from './events.openapi.js';
import { EVENT_STREAM_API_KEY_PARAM, EVENTS_PATH } from './events.schemas.js';

export { EVENT_STREAM_API_KEY_PARAM };

/** For the auth middleware: on this path the API key may also come as ?api_key=. */
export function isEventStreamPath(path: string): boolean {
  return path === EVENTS_PATH || path === `${EVENTS_PATH}/`;
}

export type EventRouteOptions = { pollMs?: number; heartbeatMs?: number };

/**
 * CORS (config.corsOrigins) and the API key (header, or ?api_key= on this path: see isEventStreamPath) are
 * applied app-wide in app.ts.
 */
export function registerEventRoutes(app: OpenAPIHono, deps: Deps, opts: EventRouteOptions = {}): void {
  app.openapi(streamEventsRoute, async (c) => {
    const q = c.req.valid('query');
    const stop = new AbortController();
    c.req.raw.signal.addEventListener('abort', () => stop.abort(), { once: true });
    const { items } = await openEventStream(deps, {
      lastEventId: c.req.valid('header')['last-event-id'],
      after: q.after,
      types: q.types,
      sandboxId: q.sandboxId,
      signal: stop.signal,
      ...opts,
    });
    c.header('X-Accel-Buffering', 'no'); // nginx: do not buffer the stream
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => stop.abort());
      try {
        await stream.write(': connected\nretry: 2000\n\n');
        for await (const item of items) {
          if (stream.aborted || stream.closed) break;
          if (item.kind === 'heartbeat') await stream.write(': heartbeat\n\n');
          else for (const ev of item.events) await stream.writeSSE({ id: String(ev.seq), event: ev.type, data: JSON.stringify(ev) });
        }
      } catch (err) {
        // Not forwarded to the client (it could quote SQL); the client reconnects with Last-Event-ID.
        deps.log.warn({ err: (err as Error)?.name }, 'event stream ended with an error');
      } finally {
        stop.abort();
      }
    });
  });
}
