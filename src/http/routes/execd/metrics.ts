import type { Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';
import { sandboxMetrics, watchMetrics } from '../../../domain/execd/metrics.js';
import { sandboxIdOf } from './index.js';

/** Upstream's SSE headers (controller/sse.go), though the watch body is bare JSON lines, not `data:` events. */
const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  'X-Accel-Buffering': 'no',
};

/** GET /metrics (the SDK's getMetrics) and GET /metrics/watch (one sample per line about every 2 s). */
export function registerMetricsRoutes(app: Hono, deps: Deps): void {
  app.get('/metrics', async (c) => c.json(await sandboxMetrics(deps, sandboxIdOf(c))));

  app.get('/metrics/watch', async (c) => {
    const sandboxId = sandboxIdOf(c);
    // The first sample is taken before any header goes out, so an unknown or stopped sandbox is a plain JSON error.
    const first = JSON.stringify(await sandboxMetrics(deps, sandboxId));
    const stop = new AbortController();
    const onClientGone = () => stop.abort();
    c.req.raw.signal.addEventListener('abort', onClientGone, { once: true });
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const emit = async (line: string) => {
          if (!stop.signal.aborted) controller.enqueue(encoder.encode(`${line}\n`));
        };
        try {
          await emit(first);
          await watchMetrics(deps, sandboxId, emit, stop.signal, { skipFirst: true });
        } catch (err) {
          deps.log.warn({ sandboxId, err: String(err) }, 'metrics watch failed');
        } finally {
          c.req.raw.signal.removeEventListener('abort', onClientGone);
          if (!stop.signal.aborted) controller.close();
        }
      },
      // The client went away: the loop sees the abort at its next await and its timer is cleared.
      cancel: () => stop.abort(),
    });
    return c.body(body, 200, STREAM_HEADERS);
  });
}
