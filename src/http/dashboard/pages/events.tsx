import type { Hono } from 'hono';
import { recentEvents } from '../../../domain/dashboard/sandbox-detail.js';
import type { Deps } from '../../../domain/deps.js';
import { eventTable } from '../components.js';
import { href, page } from '../layout.js';

/** The live event tail: the newest 100 events, then every new one as it is appended (SSE, no polling). */
export function registerEventTail(app: Hono, deps: Deps): void {
  app.get(href('/events'), async (c) => {
    const items = await recentEvents(deps, 100);
    const after = items[0]?.seq ?? 0;
    const content = (
      <>
        <h1>Event tail</h1>
        <p class="muted">Newest first. New events appear at the top as they happen.</p>
        {eventTable(items, { id: 'event-tail-wrap', tbodyId: 'event-tail', caption: 'Events, newest first' })}
      </>
    );
    return c.html(page(c, { title: 'Events', nav: 'events', stream: href(`/stream?after=${after}`) }, content));
  });
}
