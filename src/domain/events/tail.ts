import { setTimeout as sleep } from 'node:timers/promises';
import type { Deps } from '../deps.js';
import type { EventDto } from './dto.js';
import { listEventsAfter, type EventFilter } from './read.js';

export type TailItem = { kind: 'events'; events: EventDto[] } | { kind: 'heartbeat' };

export type TailOptions = {
  afterSeq: number;
  filter: EventFilter;
  signal: AbortSignal;
  /** how often the log is polled when the reader has caught up */
  pollMs?: number;
  /** idle time after which a heartbeat is yielded, so proxies and clients see the connection alive */
  heartbeatMs?: number;
  batch?: number;
};

/**
 * Follow the event log from `afterSeq` until the signal aborts. Polling `seq > last` is enough: seq order is
 * commit order (append.ts), so the stream can neither skip nor repeat. PGlite has no cross-process NOTIFY,
 * and one indexed query per reader every ~100 ms is cheap next to the SSE connection itself.
 */
export async function* tailEvents(deps: Pick<Deps, 'db'>, opts: TailOptions): AsyncGenerator<TailItem> {
  const pollMs = opts.pollMs ?? 100;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const batch = opts.batch ?? 500;
  let last = opts.afterSeq;
  let lastWrite = Date.now();
  while (!opts.signal.aborted) {
    const found = await listEventsAfter(deps, { afterSeq: last, limit: batch, ...opts.filter });
    if (found.length > 0) {
      last = found[found.length - 1]!.seq;
      lastWrite = Date.now();
      yield { kind: 'events', events: found };
      if (found.length === batch) continue; // more waiting: do not sleep
    } else if (Date.now() - lastWrite >= heartbeatMs) {
      lastWrite = Date.now();
      yield { kind: 'heartbeat' };
    }
    try {
      await sleep(pollMs, undefined, { signal: opts.signal });
    } catch {
      return; // aborted
    }
  }
}
