import type { Hono } from 'hono';
import { recentEventsOf } from '../../../domain/dashboard/sandbox-detail.js';
import type { Deps } from '../../../domain/deps.js';
import { headSeq } from '../../../domain/events/read.js';
import { getMount, listMounts, type MountView } from '../../../domain/volumes/ledger/list-mounts.js';
import { DataTable, eventTable } from '../components.js';
import { href, page, stateBadge, when } from '../layout.js';
import { pathParam } from '../params.js';

const identityText = (m: MountView) =>
  `${m.identity.bucket}${m.identity.prefix ? `:/${m.identity.prefix}` : ''} @ ${m.identity.endpoint} (ossfs ${m.identity.version || '?'})`;

/** The mount ledger, read-only: the same views as GET /v1/mounts (identity without secrets, holders). */
export function registerMountPages(app: Hono, deps: Deps): void {
  app.get(href('/mounts'), async (c) => {
    const state = c.req.query('state') || undefined;
    const [items, seq] = await Promise.all([listMounts(deps, { state, limit: 500 }), headSeq(deps)]);
    const content = (
      <>
        <h1>Mount ledger</h1>
        <DataTable
          id="mount-list"
          live
          caption="Host mounts"
          columns={['Mount', 'Identity', 'State', 'Health', 'References', { label: 'Host', hideSm: true }, { label: 'Updated', hideSm: true }]}
          after={items.length === 0 && <p class="muted">No mounts yet: they appear when a sandbox with an ossfs volume is created.</p>}
        >
          {items.map((m) => (
            <tr data-mount={m.id}>
              <td class="mono">
                <a href={href(`/mounts/${m.id}`)}>{m.id}</a>
              </td>
              <td class="mono">{identityText(m)}</td>
              <td>{stateBadge(m.state)}</td>
              <td>{stateBadge(m.health)}</td>
              <td data-testid="refs">{m.references}</td>
              <td class="hide-sm">{m.hostId}</td>
              <td class="hide-sm">{when(m.updatedAt)}</td>
            </tr>
          ))}
        </DataTable>
      </>
    );
    return c.html(page(c, { title: 'Mounts', nav: 'mounts', stream: href(`/stream?after=${seq}`) }, content));
  });

  app.get(href('/mounts/:id'), async (c) => {
    const [m, history, seq] = await Promise.all([getMount(deps, pathParam(c)), recentEventsOf(deps, { mountId: pathParam(c) }), headSeq(deps)]);
    const content = (
      <>
        <h1>
          Mount <span class="mono">{m.id}</span>
        </h1>
        <section id="mount-detail" data-live="" aria-labelledby="h-m">
          <h2 id="h-m">Identity and state</h2>
          <dl class="props">
            <dt>Backend</dt>
            <dd>{m.backend}</dd>
            <dt>Bucket</dt>
            <dd class="mono">{m.identity.bucket}</dd>
            <dt>Prefix</dt>
            <dd class="mono">{m.identity.prefix || '—'}</dd>
            <dt>Endpoint</dt>
            <dd class="mono">{m.identity.endpoint}</dd>
            <dt>Version</dt>
            <dd>{m.identity.version}</dd>
            <dt>Options</dt>
            <dd class="mono">{m.identity.options.join(', ') || '—'}</dd>
            <dt>Credential fingerprint</dt>
            <dd class="mono">{m.identity.credentialFingerprint ?? '—'}</dd>
            <dt>State</dt>
            <dd>{stateBadge(m.state)}</dd>
            <dt>Health</dt>
            <dd>{stateBadge(m.health)}</dd>
            <dt>Host path</dt>
            <dd class="mono">
              {m.hostPath} (host {m.hostId})
            </dd>
            <dt>Last error</dt>
            <dd>{m.lastError ?? '—'}</dd>
            <dt>Lease</dt>
            <dd class="mono">
              {m.leaseOwner ? (
                <>
                  {m.leaseOwner} until {when(m.leaseUntil)}
                </>
              ) : (
                '—'
              )}
            </dd>
            <dt>References</dt>
            <dd data-testid="refs">{m.references}</dd>
          </dl>
          <h2>Held by</h2>
          {m.sandboxes.length === 0 ? (
            <p class="muted">No sandbox.</p>
          ) : (
            <ul>
              {m.sandboxes.map((id) => (
                <li>
                  <a class="mono" href={href(`/sandboxes/${id}`)}>
                    {id}
                  </a>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="h-mh">
          <h2 id="h-mh">History</h2>
          {eventTable(history, { id: 'mount-history', caption: 'Events of this mount' })}
        </section>
      </>
    );
    return c.html(page(c, { title: m.id, nav: 'mounts', stream: href(`/stream?after=${seq}`) }, content));
  });
}
