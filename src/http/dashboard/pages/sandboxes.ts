import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { Deps } from '../../../domain/deps.js';
import { headSeq } from '../../../domain/events/read.js';
import { listSandboxes } from '../../../domain/sandbox/list-sandboxes.js';
import { SANDBOX_STATES } from '../../../domain/sandbox/states.js';
import { formatPairs, parsePairs } from '../components.js';
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
    const content = html`<h1>Sandboxes</h1>
      <form class="filters" method="get" action="${href('/sandboxes')}" role="search" aria-label="Filter sandboxes">
        <fieldset class="filters">
          <legend>State</legend>
          ${SANDBOX_STATES.map((s) => html`<label><input type="checkbox" name="state" value="${s}" ${q.states.includes(s) ? 'checked' : ''} /> ${s}</label>`)}
        </fieldset>
        <label
          >Metadata (key=value, comma separated)
          <input type="text" name="metadata" value="${q.metadataText}" placeholder="team=a, owner=bob" />
        </label>
        <label
          >Per page
          <select name="pageSize">
            ${PAGE_SIZES.map((n) => html`<option ${n === q.pageSize ? 'selected' : ''}>${n}</option>`)}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      ${bad ? html`<p class="notice error" role="alert">Metadata filter segment "${bad}" is not key=value; showing all.</p>` : ''}
      <div id="sandbox-list" data-live>
        <p class="muted" id="sandbox-count">${result.totalItems} sandboxes · page ${q.page} of ${pages}</p>
        <div class="table-wrap">
          <table>
            <caption class="skip">
              Sandboxes
            </caption>
            <thead>
              <tr>
                <th scope="col">Sandbox</th>
                <th scope="col">State</th>
                <th scope="col" class="hide-sm">Image</th>
                <th scope="col">Metadata</th>
                <th scope="col" class="hide-sm">Created</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              ${result.items.map(
                (s) =>
                  html`<tr data-sandbox="${s.id}">
                    <td class="mono"><a href="${href(`/sandboxes/${s.id}`)}">${s.id}</a></td>
                    <td>${stateBadge(s.state)}</td>
                    <td class="mono hide-sm">${s.image}</td>
                    <td class="mono">${formatPairs(s.metadata, ', ')}</td>
                    <td class="hide-sm">${when(s.createdAt)}</td>
                    <td>${when(s.expiresAt)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
        <nav class="pager" aria-label="Pages">
          ${q.page > 1 ? html`<a href="${pageLink(q, q.page - 1)}" rel="prev">← Previous</a>` : ''}
          ${q.page < pages ? html`<a href="${pageLink(q, q.page + 1)}" rel="next">Next →</a>` : ''}
        </nav>
      </div>`;
    return c.html(page(c, { title: 'Sandboxes', nav: 'sandboxes', stream: href(`/stream?after=${seq}`) }, content));
  });
}
