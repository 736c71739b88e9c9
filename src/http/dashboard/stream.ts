import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Deps } from '../../domain/deps.js';
import { openEventStream } from '../../domain/events/stream.js';
import { seqParam } from './params.js';
import { SESSION_RECHECK_MS, sessionKeys } from './session.js';

/** What a dashboard stream sends: messages (unnamed, so one `onmessage` sees all), or a heartbeat comment. */
export type StreamPiece = { kind: 'heartbeat' } | { kind: 'messages'; messages: Array<{ id?: string; data: string }> };

/**
 * The event log as SSE for dashboard pages, authenticated by the session cookie (EventSource sends it on a
 * same-origin request; the API key never reaches the browser). The same domain stream as /v1/events. A page
 * passes ?after=<the head seq it was rendered at>, so nothing that happens between the render and the
 * connection is missed.
 */
export function registerDashboardStream(app: Hono, deps: Deps, path: string): void {
  app.get(path, (c) =>
    sessionBoundStream(c, deps, async (signal) => {
      const { items } = await openEventStream(deps, {
        lastEventId: c.req.header('last-event-id'),
        after: seqParam(c.req.query('after')),
        sandboxId: c.req.query('sandboxId') || undefined,
        signal,
      });
      return (async function* () {
        for await (const item of items)
          yield item.kind === 'heartbeat'
            ? item
            : { kind: 'messages' as const, messages: item.events.map((ev) => ({ id: String(ev.seq), data: JSON.stringify(ev) })) };
      })();
    }),
  );
}

/**
 * A dashboard SSE answer. A stream whose session is signed out or expires ends (within SESSION_RECHECK_MS,
 * or at the next heartbeat when nothing happens) before sending anything more; EventSource's reconnect then
 * gets 401. `open` is handed a signal that aborts when the client goes or the stream ends.
 */
export async function sessionBoundStream(c: Context, deps: Deps, open: (signal: AbortSignal) => Promise<AsyncIterable<StreamPiece>>): Promise<Response> {
  const keys = sessionKeys(deps);
  const session = c.get('dashboardSession');
  let checkedAt = Date.now();
  const sessionEnded = async () => {
    if (Date.now() - checkedAt < SESSION_RECHECK_MS) return false;
    checkedAt = Date.now();
    return session.expiresAt <= deps.clock.now().getTime() || (await keys.revoked(session.id));
  };
  const stop = new AbortController();
  c.req.raw.signal.addEventListener('abort', () => stop.abort(), { once: true });
  const pieces = await open(stop.signal);
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => stop.abort());
    try {
      await stream.write(': connected\nretry: 2000\n\n');
      for await (const piece of pieces) {
        if (stream.aborted || stream.closed || (await sessionEnded())) break;
        if (piece.kind === 'heartbeat') await stream.write(': heartbeat\n\n');
        else for (const m of piece.messages) await stream.writeSSE(m);
      }
    } catch (err) {
      deps.log.warn({ err: (err as Error)?.name }, 'dashboard event stream ended with an error');
    } finally {
      stop.abort();
    }
  });
}
