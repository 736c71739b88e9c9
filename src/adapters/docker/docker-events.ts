import { StringDecoder } from 'node:string_decoder';
import type { ContainerEvent } from '../../domain/ports.js';

/**
 * The Docker events stream is newline-delimited JSON, but its chunks are not line-aligned (host-facts §3):
 * a chunk may end mid-line or even mid-UTF-8 character (label values are user metadata). Pure so the
 * boundary cases are unit-tested without an engine.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';

  /** Complete, non-empty lines seen so far; the unterminated tail waits for the next chunk. */
  push(chunk: Buffer | string): string[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const parts = this.buffer.split('\n');
    this.buffer = parts.pop() ?? '';
    return parts.map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  }

  /** What is left after the stream ended (a last line without '\n'), if any. */
  flush(): string[] {
    const rest = this.buffer + this.decoder.end();
    this.buffer = '';
    return rest.trim() === '' ? [] : [rest];
  }
}

type RawEvent = {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
};

/**
 * One JSON line -> ContainerEvent, or null when it is not a container event. Throws on malformed JSON
 * (the caller logs and skips the line). `labels` are the Actor attributes as Docker sends them: the
 * container's labels plus Docker's own `image`, `name` and, on die, `exitCode`.
 */
export function parseContainerEvent(line: string): ContainerEvent | null {
  const raw = JSON.parse(line) as RawEvent;
  if (raw === null || typeof raw !== 'object') return null;
  if ((raw.Type ?? 'container') !== 'container') return null;
  const fullAction = raw.Action ?? raw.status;
  const containerId = raw.Actor?.ID ?? raw.id;
  if (!fullAction || !containerId) return null;
  // exec_create: /bin/echo hi, health_status: healthy -> exec_create, health_status
  const action = fullAction.split(':', 1)[0]!.trim();
  const attrs = { ...(raw.Actor?.Attributes ?? {}) };
  const code = attrs.exitCode !== undefined ? Number.parseInt(attrs.exitCode, 10) : NaN;
  const ms = typeof raw.timeNano === 'number' ? Math.floor(raw.timeNano / 1e6) : typeof raw.time === 'number' ? raw.time * 1000 : Date.now();
  return {
    action,
    containerId,
    labels: attrs,
    exitCode: Number.isNaN(code) ? null : code,
    time: new Date(ms),
  };
}
