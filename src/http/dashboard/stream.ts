import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Deps } from '../../domain/deps.js';
import { openEventStream } from '../../domain/events/stream.js';
import { seqParam } from './params.js';
import { SESSION_RECHECK_MS, sessionKeys } from './session.js';

/**
 * The event log as SSE for dashboard pages, authenticated by the session cookie (EventSource sends it on a
 * same-origin request; the API key never reaches the browser). The same domain stream as /v1/events; the
 * messages are unnamed so one `onmessage` sees every type. A page passes ?after=<the head seq it was
 * rendered at>, so nothing that happens between the render and the connection is missed. A stream whose
 * session is signed out or expires ends (within SESSION_RECHECK_MS, or the next heartbeat when the log is
 * idle) before sending anything more; EventSource's reconnect then gets 401.
 */
export function registerDashboardStream(app: Hono, deps: Deps, path: string): void {
  const keys = sessionKeys(deps);
  app.get(path, async (c) => {
    const session = c.get('dashboardSession');
    let checkedAt = Date.now();
    const sessionEnded = async () => {
      if (Date.now() - checkedAt < SESSION_RECHECK_MS) return false;
      checkedAt = Date.now();
      return session.expiresAt <= deps.clock.now().getTime() || (await keys.revoked(session.id));
    };
    const stop = new AbortController();
    c.req.raw.signal.addEventListener('abort', () => stop.abort(), { once: true });
    const { items } = await openEventStream(deps, {
      lastEventId: c.req.header('last-event-id'),
      after: seqParam(c.req.query('after')),
      sandboxId: c.req.query('sandboxId') || undefined,
      signal: stop.signal,
    });
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => stop.abort());
      try {
        await stream.write(': connected\nretry: 2000\n\n');
        for await (const item of items) {
          if (stream.aborted || stream.closed || (await sessionEnded())) break;
          if (item.kind === 'heartbeat') await stream.write(': heartbeat\n\n');
          else for (const ev of item.events) await stream.writeSSE({ id: String(ev.seq), data: JSON.stringify(ev) });
        }
      } catch (err) {
        deps.log.warn({ err: (err as Error)?.name }, 'dashboard event stream ended with an error');
      } finally {
        stop.abort();
      }
    });
  });
}
