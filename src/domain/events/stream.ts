import type { Deps } from '../deps.js';
import { invalid } from '../errors.js';
import { headSeq, type EventFilter } from './read.js';
import { tailEvents, type TailItem } from './tail.js';

export type OpenStreamInput = EventFilter & {
  /** the SSE Last-Event-ID header: the seq of the last event the client received */
  lastEventId?: string;
  /** ?after=<seq>, for clients that cannot set headers on the first connection */
  after?: number;
  signal: AbortSignal;
  pollMs?: number;
  heartbeatMs?: number;
};

/**
 * Where a stream starts: after Last-Event-ID when the client resumes (it wins over ?after, because
 * EventSource sends it on every reconnect while the URL keeps its first ?after), else after ?after, else
 * at the head of the log (a fresh dashboard wants what happens from now on; ?after=0 replays what is kept).
 */
export async function openEventStream(deps: Pick<Deps, 'db'>, input: OpenStreamInput): Promise<{ afterSeq: number; items: AsyncGenerator<TailItem> }> {
  let afterSeq: number;
  if (input.lastEventId !== undefined && input.lastEventId.trim() !== '') {
    const v = input.lastEventId.trim();
    if (!/^\d{1,15}$/.test(v)) throw invalid('EVENTS::INVALID_LAST_EVENT_ID', 'Last-Event-ID must be an event sequence number.');
    afterSeq = Number(v);
  } else if (input.after !== undefined) {
    afterSeq = input.after;
  } else {
    afterSeq = await headSeq(deps);
  }
  const items = tailEvents(deps, {
    afterSeq,
    filter: { types: input.types, sandboxId: input.sandboxId },
    signal: input.signal,
    pollMs: input.pollMs,
    heartbeatMs: input.heartbeatMs,
  });
  return { afterSeq, items };
}
