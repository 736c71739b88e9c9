import { html } from 'hono/html';
import type { EventDto } from '../../domain/events/dto.js';
import { href, when, type Html } from './layout.js';

/** Events, newest first. The tail page gives the tbody the id the client script appends to. */
export function eventTable(items: EventDto[], opts: { id: string; tbodyId?: string; caption: string }): Html {
  return html`<div class="table-wrap" id="${opts.id}" ${opts.tbodyId ? '' : html`data-live`}>
    <table>
      <caption class="skip">
        ${opts.caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">Seq</th>
          <th scope="col">Time</th>
          <th scope="col">Type</th>
          <th scope="col">Subject</th>
          <th scope="col">Transition</th>
          <th scope="col">Reason</th>
          <th scope="col">Actor</th>
        </tr>
      </thead>
      <tbody id="${opts.tbodyId ?? `${opts.id}-rows`}">
        ${items.map(
          (e) =>
            html`<tr>
              <td>${e.seq}</td>
              <td>${when(e.time)}</td>
              <td>${e.type}</td>
              <td class="mono">
                ${
                  e.sandboxId
                    ? html`<a href="${href(`/sandboxes/${e.sandboxId}`)}">${e.sandboxId}</a>`
                    : e.mountId
                      ? html`<a href="${href(`/mounts/${e.mountId}`)}">${e.mountId}</a>`
                      : ''
                }
              </td>
              <td>${[e.fromState, e.toState].filter(Boolean).join(' → ')}</td>
              <td>${e.reason ?? ''}</td>
              <td class="mono">${e.actor}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** `a=1, b=2` or one pair per line, as typed into a filter or the metadata editor. */
export function parsePairs(text: string): { pairs: Record<string, string>; bad: string | null } {
  const pairs: Record<string, string> = {};
  for (const raw of text.split(/[,\n]/)) {
    const segment = raw.trim();
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    if (eq <= 0) return { pairs, bad: segment };
    pairs[segment.slice(0, eq).trim()] = segment.slice(eq + 1).trim();
  }
  return { pairs, bad: null };
}

export const formatPairs = (m: Record<string, string>, sep: string) =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join(sep);
