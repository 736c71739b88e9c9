import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Deps } from '../../../domain/deps.js';
import { streamSandboxLogs } from '../../../domain/sandbox/logs.js';
import { href } from '../layout.js';
import { intParam, pathParam } from '../params.js';

/**
 * A sandbox container's output as SSE, for the sandbox page: the last lines, then live (the engine's log
 * stream, pushed as it comes; no polling). Ends when the page goes away or the container stops.
 */
export function registerLogStream(app: Hono, deps: Deps): void {
  app.get(href('/sandboxes/:id/logs'), async (c) => {
    const stop = new AbortController();
    c.req.raw.signal.addEventListener('abort', () => stop.abort(), { once: true });
    const chunks = await streamSandboxLogs(deps, pathParam(c), { tail: intParam(c.req.query('tail'), 200, 0, 5000), signal: stop.signal });
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => stop.abort());
      try {
        await stream.write(': connected\n\n');
        for await (const chunk of chunks) {
          if (stream.aborted || stream.closed) break;
          await stream.writeSSE({ data: JSON.stringify(chunk) });
        }
      } catch (err) {
        deps.log.warn({ err: (err as Error)?.name }, 'dashboard log stream ended with an error');
      } finally {
        // Tells the page not to reconnect (EventSource would, and replay the tail again and again).
        if (!stream.aborted && !stream.closed) await stream.writeSSE({ event: 'end', data: '{}' }).catch(() => {});
        stop.abort();
      }
    });
  });
}
