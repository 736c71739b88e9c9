import type { Hono } from 'hono';
import { recentEventsOf, sandboxVolumeViews } from '../../../domain/dashboard/sandbox-detail.js';
import type { Deps } from '../../../domain/deps.js';
import { headSeq } from '../../../domain/events/read.js';
import { getSandbox } from '../../../domain/sandbox/get-sandbox.js';
import { PROXY_PORT } from '../../../domain/sandbox/endpoint.js';
import { DataTable, eventTable, formatPairs } from '../components.js';
import { ActionButton, href, page, PostForm, stateBadge, when } from '../layout.js';
import { pathParam } from '../params.js';

/** The sandbox page: status, actions, metadata, endpoints, volumes and their mounts, history. */
export function registerSandboxPage(app: Hono, deps: Deps): void {
  app.get(href('/sandboxes/:id'), async (c) => {
    const id = pathParam(c);
    const [s, volumes, history, seq] = await Promise.all([
      getSandbox(deps, id),
      sandboxVolumeViews(deps, id),
      recentEventsOf(deps, { sandboxId: id }),
      headSeq(deps),
    ]);
    const base = href(`/sandboxes/${s.id}`);
    const action = (verb: string, label: string) => <ActionButton c={c} action={`${base}/${verb}`} label={label} />;
    const publicBase = deps.config.publicUrl ?? new URL(c.req.url).origin;
    const content = (
      <>
        <h1>
          Sandbox <span class="mono">{s.id}</span>
        </h1>
        <section id="sandbox-status" data-live="" aria-labelledby="h-status">
          <h2 id="h-status">Status</h2>
          <dl class="props">
            <dt>State</dt>
            <dd data-testid="state">{stateBadge(s.state)}</dd>
            <dt>Reason</dt>
            <dd>{s.reason ?? '—'}</dd>
            <dt>Message</dt>
            <dd>{s.message ?? '—'}</dd>
            <dt>Since</dt>
            <dd>{when(s.lastTransitionAt)}</dd>
            <dt>Image</dt>
            <dd class="mono">{s.image}</dd>
            <dt>Entrypoint</dt>
            <dd class="mono">{s.entrypoint.join(' ')}</dd>
            <dt>Created</dt>
            <dd>{when(s.createdAt)}</dd>
            <dt>Expires</dt>
            <dd>{s.expiresAt ? when(s.expiresAt) : 'never (manual cleanup)'}</dd>
            <dt>Metadata</dt>
            <dd class="mono" data-testid="metadata">
              {formatPairs(s.metadata, ', ') || '—'}
            </dd>
          </dl>
          <div class="actions">
            {s.state === 'Running' && action('pause', 'Pause')}
            {s.state === 'Paused' && action('resume', 'Resume')}
            {s.state === 'Running' && action('terminal', 'Open a terminal')}
            <a href={`${base}/files`}>Browse files</a>
            <a href={`${base}/delete`}>Delete…</a>
          </div>
        </section>
        <section aria-labelledby="h-renew">
          <h2 id="h-renew">Renew expiration</h2>
          <PostForm c={c} action={`${base}/renew`} class="filters">
            <label>
              Extend to (minutes from now) <input type="number" name="minutes" min="1" max="525600" value="60" required />
            </label>
            <button type="submit" class="secondary">
              Renew
            </button>
          </PostForm>
        </section>
        <section aria-labelledby="h-meta">
          <h2 id="h-meta">Edit metadata</h2>
          <PostForm c={c} action={`${base}/metadata`} class="stack">
            <label>
              One key=value per line; remove a line to remove the key
              <textarea name="metadata" spellcheck={false}>
                {formatPairs(s.metadata, '\n')}
              </textarea>
            </label>
            <p>
              <button type="submit">Save metadata</button>
            </p>
          </PostForm>
        </section>
        <section aria-labelledby="h-endpoints">
          <h2 id="h-endpoints">Endpoints</h2>
          <DataTable columns={['Port', 'Reach it at']}>
            {Object.entries(s.ports).map(([port, hostPort]) => (
              <tr>
                <td>{port}</td>
                <td class="mono">
                  {deps.config.publicHost}:{hostPort}
                </td>
              </tr>
            ))}
            <tr>
              <td>{PROXY_PORT} (execd)</td>
              <td class="mono">
                {publicBase}/sandboxes/{s.id}/proxy/{PROXY_PORT}
              </td>
            </tr>
            <tr>
              <td>any other</td>
              <td class="mono">
                {publicBase}/sandboxes/{s.id}/proxy/{'<port>'}
              </td>
            </tr>
          </DataTable>
        </section>
        <section id="sandbox-volumes" data-live="" aria-labelledby="h-vol">
          <h2 id="h-vol">Volumes</h2>
          {volumes.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <DataTable columns={['Name', 'Backend', 'Mount path', 'Mount']}>
              {volumes.map((v) => (
                <tr>
                  <td>{v.name}</td>
                  <td>{v.backend}</td>
                  <td class="mono">
                    {v.mountPath}
                    {v.subPath ? ` (sub ${v.subPath})` : ''}
                    {v.readOnly ? ' (read-only)' : ''}
                  </td>
                  <td>
                    {v.mount ? (
                      <>
                        <a class="mono" href={href(`/mounts/${v.mount.id}`)}>
                          {v.mount.id}
                        </a>{' '}
                        {stateBadge(v.mount.state)} {v.mount.references} reference{v.mount.references === 1 ? '' : 's'}
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </section>
        <section aria-labelledby="h-logs">
          <h2 id="h-logs">Container logs</h2>
          {s.containerId ? (
            <pre class="log" id="container-logs" data-logs={`${base}/logs`} tabindex={0} aria-label="Container output, live"></pre>
          ) : (
            <p class="muted">No container.</p>
          )}
        </section>
        <section aria-labelledby="h-hist">
          <h2 id="h-hist">History</h2>
          {eventTable(history, { id: 'sandbox-history', caption: 'Events of this sandbox' })}
        </section>
      </>
    );
    return c.html(page(c, { title: s.id, nav: 'sandboxes', stream: href(`/stream?after=${seq}&sandboxId=${encodeURIComponent(s.id)}`) }, content));
  });
}
