import type Docker from 'dockerode';
import { LABELS, type ContainerEvent, type Logger } from '../../domain/ports.js';
import { LineSplitter, parseContainerEvent } from './docker-events.js';

/** Label filters that select exactly this deployment's containers (Docker ANDs repeated label filters). */
export function ownedLabelFilters(instanceId: string): string[] {
  return [`${LABELS.managed}=true`, `${LABELS.instance}=${instanceId}`];
}

type EventStream = NodeJS.ReadableStream & { destroy?: (err?: Error) => void };

/**
 * Streams container events for berth's containers of `instanceId`. `onError` fires at most once, when the
 * stream cannot be opened, fails or ends (an engine restart ends it); the subscription is dead after that
 * and reconnecting (with a reconcile for what was missed) is the caller's job. Unsubscribing never calls
 * onError.
 */
export function subscribeEvents(
  docker: Docker,
  log: Logger,
  instanceId: string,
  onEvent: (e: ContainerEvent) => void,
  onError: (err: Error) => void,
): () => void {
  let stream: EventStream | null = null;
  let done = false;
  const splitter = new LineSplitter();

  const fail = (err: Error) => {
    if (done) return;
    done = true;
    stream?.destroy?.();
    onError(err);
  };

  const handleLine = (line: string) => {
    let event: ContainerEvent | null;
    try {
      event = parseContainerEvent(line);
    } catch {
      log.warn({ line: line.slice(0, 200) }, 'unparseable docker event line skipped');
      return;
    }
    if (!event) return;
    try {
      onEvent(event);
    } catch (err) {
      // A throwing handler must not kill the stream (an exception in a 'data' listener would be uncaught).
      log.error({ err, action: event.action, containerId: event.containerId }, 'container event handler failed');
    }
  };

  docker
    .getEvents({ filters: { type: ['container'], label: ownedLabelFilters(instanceId) } })
    .then((s) => {
      stream = s as EventStream;
      if (done) return void stream.destroy?.();
      s.on('data', (chunk: Buffer | string) => {
        for (const line of splitter.push(chunk)) if (!done) handleLine(line);
      });
      s.on('error', (err: Error) => fail(err));
      s.on('end', () => fail(new Error('Docker event stream ended')));
      s.on('close', () => fail(new Error('Docker event stream closed')));
    })
    .catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));

  return () => {
    done = true;
    stream?.destroy?.();
  };
}
