import type { Child } from 'hono/jsx';
import type { EventDto } from '../../domain/events/dto.js';
import { href, when, type Html } from './layout.js';

/** A column heading: its text, hidden on a phone (`hideSm`), or read to screen readers only (`srOnly`). */
export type Column = string | { label: string; hideSm?: boolean; srOnly?: boolean };

/**
 * A table in its own scrolling box (a phone scrolls the table, never the page). `live` marks the box as one
 * the page's script re-renders on a change (it needs an id); `after` goes below the table, inside the box.
 */
export function DataTable(props: { columns: Column[]; caption?: string; id?: string; live?: boolean; tbodyId?: string; after?: Child; children?: Child }) {
  return (
    <div class="table-wrap" id={props.id} data-live={props.live ? '' : undefined}>
      <table>
        {props.caption && <caption class="skip">{props.caption}</caption>}
        <thead>
          <tr>
            {props.columns.map((col) => {
              const c = typeof col === 'string' ? { label: col } : col;
              return (
                <th scope="col" class={c.hideSm ? 'hide-sm' : undefined}>
                  {c.srOnly ? <span class="skip">{c.label}</span> : c.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody id={props.tbodyId}>{props.children}</tbody>
      </table>
      {props.after}
    </div>
  );
}

/** Events, newest first. The tail page gives the tbody the id the client script appends to. */
export function eventTable(items: EventDto[], opts: { id: string; tbodyId?: string; caption: string }): Html {
  return (
    <DataTable
      id={opts.id}
      live={!opts.tbodyId}
      tbodyId={opts.tbodyId ?? `${opts.id}-rows`}
      caption={opts.caption}
      columns={['Seq', 'Time', 'Type', 'Subject', 'Transition', 'Reason', 'Actor']}
    >
      {items.map((e) => (
        <tr>
          <td>{e.seq}</td>
          <td>{when(e.time)}</td>
          <td>{e.type}</td>
          <td class="mono">
            {e.sandboxId ? (
              <a href={href(`/sandboxes/${e.sandboxId}`)}>{e.sandboxId}</a>
            ) : e.mountId ? (
              <a href={href(`/mounts/${e.mountId}`)}>{e.mountId}</a>
            ) : (
              ''
            )}
          </td>
          <td>{[e.fromState, e.toState].filter(Boolean).join(' → ')}</td>
          <td>{e.reason ?? ''}</td>
          <td class="mono">{e.actor}</td>
        </tr>
      ))}
    </DataTable>
  );
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
