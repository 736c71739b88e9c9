export type SseMessage = { id?: string; event?: string; data: string };

/**
 * A minimal EventSource-like reader over fetch: it can send Last-Event-ID (as EventSource does on reconnect)
 * and records comment lines (heartbeats) separately. close() disconnects like a browser tab going away.
 */
export async function openSse(url: string, headers: Record<string, string> = {}, onMessage?: (m: SseMessage) => void) {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ctrl.signal });
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  const done = (async () => {
    if (!res.ok || !res.body) return;
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const m: SseMessage = { data: '' };
          const data: string[] = [];
          let isMessage = false;
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) {
              m.id = line.slice(4);
              isMessage = true;
            } else if (line.startsWith('event: ')) m.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              data.push(line.slice(6));
              isMessage = true;
            }
          }
          m.data = data.join('\n');
          if (isMessage) {
            messages.push(m);
            onMessage?.(m);
          }
          waiters.splice(0).forEach((w) => w());
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return {
    res,
    messages,
    comments,
    /** parsed `data` of every message */
    events: () => messages.map((m) => JSON.parse(m.data) as { seq: number; type: string; id: string; sandboxId: string | null }),
    lastEventId: () => messages.at(-1)?.id,
    close: async () => {
      ctrl.abort();
      await done;
    },
  };
}
