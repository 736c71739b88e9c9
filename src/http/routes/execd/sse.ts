import type { Context } from 'hono';
import type { ExecEvent } from '../../../domain/execd/commands/types.js';
import type { Logger } from '../../../domain/ports.js';

const HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

/**
 * execd's event stream: one JSON object per frame, frames separated by a blank line, each written as soon
 * as it exists. `emit` waits while the client is behind (true backpressure through the response body) and
 * returns at once once the client is gone, so the command still runs to its end and its record is kept.
 * A failure after the stream started can only be told in the stream: an error event, then the end; unless
 * the run had already sent its closing event (a session run saves its state after it), since a client
 * takes exactly one of execution_complete or error.
 */
export function eventStream(c: Context, log: Logger, run: (sink: { emit(e: ExecEvent): Promise<void> }) => Promise<void>): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  let gone = false;
  let closed = false;
  const emit = async (e: ExecEvent) => {
    if (e.type === 'execution_complete' || e.type === 'error') closed = true;
    if (gone) return;
    try {
      await writer.ready;
      await Promise.race([writer.write(encoder.encode(`${JSON.stringify(e)}\n\n`)), writer.closed]);
    } catch {
      gone = true;
    }
  };
  void writer.closed.catch(() => (gone = true));
  void (async () => {
    try {
      await run({ emit });
    } catch (err) {
      log.error({ requestId: c.get('requestId'), err: String(err) }, 'execd stream failed');
      const evalue = err instanceof Error ? err.message : 'internal error';
      if (!closed) await emit({ type: 'error', error: { ename: 'CommandExecError', evalue, traceback: [evalue] }, timestamp: Date.now() });
    } finally {
      if (!gone) await writer.close().catch(() => {});
    }
  })();
  return new Response(readable, { status: 200, headers: HEADERS });
}
