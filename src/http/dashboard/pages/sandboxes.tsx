import type { Context, Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';
import { headSeq } from '../../../domain/events/read.js';
import { listSandboxes } from '../../../domain/sandbox/list-sandboxes.js';
import { SANDBOX_STATES } from '../../../domain/sandbox/states.js';
import { DataTable, formatPairs, parsePairs } from '../components.js';
import { href, page, stateBadge, when } from '../layout.js';
import { intParam } from '../params.js';

export const PAGE_SIZES = [25, 50, 100, 200];

type ListQuery = { states: string[]; metadataText: string; page: number; pageSize: number };

function readQuery(c: Context): ListQuery {
  return {
    states: c.req.queries('state')?.filter((s) => s !== '') ?? [],
    metadataText: c.req.query('metadata') ?? '',
    page: intParam(c.req.query('page'), 1, 1, 1_000_000),
    pageSize: intParam(c.req.query('pageSize'), 50, 1, 200),
  };
}

function pageLink(q: ListQuery, pageNo: number): string {
  const p = new URLSearchParams();
  for (const s of q.states) p.append('state', s);
  if (q.metadataText) p.set('metadata', q.metadataText);
  p.set('page', String(pageNo));
  p.set('pageSize', String(q.pageSize));
  return href(`/sandboxes?${p}`);
}

/**
 * The sandbox list: the API's own list verb (one page query and one count, on the live-rows index), so it
 * stays fast at 10,000 rows. The filter form is a plain GET form: a filtered view is a link one can share.
 */
export function registerSandboxList(app: Hono, deps: Deps): void {
  app.get(href('/sandboxes'), async (c) => {
    const q = readQuery(c);
    const { pairs, bad } = parsePairs(q.metadataText);
    const [result, seq] = await Promise.all([
      listSandboxes(deps, { states: q.states, metadata: bad ? {} : pairs, page: q.page, pageSize: q.pageSize }),
      headSeq(deps),
    ]);
    const pages = Math.max(1, Math.ceil(result.totalItems / q.pageSize));
    const content = (
      <>
        <h1>Sandboxes</h1>
        <form class="filters" method="get" action={href('/sandboxes')} role="search" aria-label="Filter sandboxes">
          <fieldset class="filters">
            <legend>State</legend>
            {SANDBOX_STATES.map((s) => (
              <label>
                <input type="checkbox" name="state" value={s} checked={q.states.includes(s)} /> {s}
              </label>
            ))}
          </fieldset>
          <label>
            Metadata (key=value, comma separated)
            <input type="text" name="metadata" value={q.metadataText} placeholder="team=a, owner=bob" />
          </label>
          <label>
            Per page
            <select name="pageSize">
              {PAGE_SIZES.map((n) => (
                <option selected={n === q.pageSize}>{n}</option>
              ))}
            </select>
          </label>
          <button type="submit">Filter</button>
        </form>
        {bad && (
          <p class="notice error" role="alert">
            Metadata filter segment "{bad}" is not key=value; showing all.
          </p>
        )}
        <div id="sandbox-list" data-live="">
          <p class="muted" id="sandbox-count">
            {result.totalItems} sandboxes · page {q.page} of {pages}
          </p>
          <DataTable
            caption="Sandboxes"
            columns={['Sandbox', 'State', { label: 'Image', hideSm: true }, 'Metadata', { label: 'Created', hideSm: true }, 'Expires']}
          >
            {result.items.map((s) => (
              <tr data-sandbox={s.id}>
                <td class="mono">
                  <a href={href(`/sandboxes/${s.id}`)}>{s.id}</a>
                </td>
                <td>{stateBadge(s.state)}</td>
                <td class="mono hide-sm">{s.image}</td>
                <td class="mono">{formatPairs(s.metadata, ', ')}</td>
                <td class="hide-sm">{when(s.createdAt)}</td>
                <td>{when(s.expiresAt)}</td>
              </tr>
            ))}
          </DataTable>
          <nav class="pager" aria-label="Pages">
            {q.page > 1 && (
              <a href={pageLink(q, q.page - 1)} rel="prev">
                ← Previous
              </a>
            )}
            {q.page < pages && (
              <a href={pageLink(q, q.page + 1)} rel="next">
                Next →
              </a>
            )}
          </nav>
        </div>
      </>
    );
    return c.html(page(c, { title: 'Sandboxes', nav: 'sandboxes', stream: href(`/stream?after=${seq}`) }, content));
  });
}
