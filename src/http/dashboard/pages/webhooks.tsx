import type { Context, Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';
import { listDeliveries, redeliver } from '../../../domain/webhooks/deliveries.js';
import { getWebhook, listWebhooks, rotateWebhookSecret } from '../../../domain/webhooks/endpoints.js';
import { sendTestEvent } from '../../../domain/webhooks/test-event.js';
import { runAction } from '../actions.js';
import { DataTable } from '../components.js';
import { ActionButton, href, page, stateBadge, when, type Html } from '../layout.js';
import { pathParam } from '../params.js';
import { dashboardActor, readForm } from '../session.js';
import { deliveriesVersion, watchDeliveries, type DeliveriesChange } from '../../../domain/webhooks/watch-deliveries.js';
import { sessionBoundStream, type StreamPiece } from '../stream.js';

const DELIVERIES_SHOWN = 100;

async function endpointPage(c: Context, deps: Deps, id: string, secret?: string): Promise<Html> {
  // the version first: a change after it is either in the list below or a refresh the stream will ask for
  const version = await deliveriesVersion(deps, id);
  const [ep, deliveries] = await Promise.all([getWebhook(deps, id), listDeliveries(deps, id, { limit: DELIVERIES_SHOWN })]);
  const base = href(`/webhooks/${ep.id}`);
  return page(
    c,
    { title: ep.url, nav: 'webhooks', stream: `${base}/deliveries/stream?since=${encodeURIComponent(version)}` },
    <>
      <h1>
        Webhook <span class="mono">{ep.id}</span>
      </h1>
      {secret && (
        <section class="notice" role="status" aria-labelledby="h-secret">
          <h2 id="h-secret">New signing secret</h2>
          <p>Shown this once: copy it now. The old secret also signs for 24 hours.</p>
          <p class="secret" data-testid="secret">
            {secret}
          </p>
        </section>
      )}
      <dl class="props">
        <dt>URL</dt>
        <dd class="mono">{ep.url}</dd>
        <dt>Description</dt>
        <dd>{ep.description ?? '—'}</dd>
        <dt>Events</dt>
        <dd>{ep.eventTypes.length ? ep.eventTypes.join(', ') : 'all'}</dd>
        <dt>Enabled</dt>
        <dd>{ep.enabled ? 'yes' : `no (${ep.disabledReason ?? 'disabled'})`}</dd>
        <dt>Consecutive failures</dt>
        <dd>
          {ep.consecutiveFailures}
          {ep.failingSince && <>, since {when(ep.failingSince)}</>}
        </dd>
      </dl>
      <div class="actions">
        <ActionButton c={c} action={`${base}/test`} label="Send a test event" />
        <ActionButton c={c} action={`${base}/rotate-secret`} label="Rotate secret" />
      </div>
      <h2>Deliveries</h2>
      <DataTable
        id="deliveries"
        live
        caption="Deliveries, newest event first"
        columns={['Delivery', 'Event', 'Status', 'Attempts', 'Response', 'Duration', 'Error', 'Updated', { label: 'Actions', srOnly: true }]}
      >
        {deliveries.map((d) => {
          const last = d.attemptLog.at(-1);
          return (
            <tr data-delivery={d.id}>
              <td class="mono">{d.id}</td>
              <td>
                {d.eventType ?? '—'} <span class="muted">#{d.eventSeq}</span>
              </td>
              <td data-testid="status">{stateBadge(d.status)}</td>
              <td>{d.attempts}</td>
              <td>{d.lastStatusCode ?? '—'}</td>
              <td>{last ? `${last.durationMs} ms` : '—'}</td>
              <td>{d.lastError ?? ''}</td>
              <td>{when(d.updatedAt)}</td>
              <td>
                {d.status === 'pending' || d.status === 'delivering' ? (
                  ''
                ) : (
                  <ActionButton c={c} action={`${base}/deliveries/${d.id}/redeliver`} label="Redeliver" />
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </>,
  );
}

/** Webhook endpoints and their delivery log, with the API's own verbs for test, redeliver and rotate. */
export function registerWebhookPages(app: Hono, deps: Deps): void {
  app.get(href('/webhooks'), async (c) => {
    const items = await listWebhooks(deps);
    const content = (
      <>
        <h1>Webhooks</h1>
        <DataTable caption="Webhook endpoints" columns={['Endpoint', 'URL', 'Enabled', 'Failures']}>
          {items.map((w) => (
            <tr>
              <td class="mono">
                <a href={href(`/webhooks/${w.id}`)}>{w.id}</a>
              </td>
              <td class="mono">{w.url}</td>
              <td>{w.enabled ? 'yes' : `no (${w.disabledReason ?? 'disabled'})`}</td>
              <td>{w.consecutiveFailures}</td>
            </tr>
          ))}
        </DataTable>
        {items.length === 0 && <p class="muted">No endpoints. Create one with POST /v1/webhooks.</p>}
      </>
    );
    return c.html(page(c, { title: 'Webhooks', nav: 'webhooks' }, content));
  });
  app.get(href('/webhooks/:id'), async (c) => c.html(await endpointPage(c, deps, pathParam(c))));
  // The deliveries table is live: a message whenever one of them changes (the page re-renders it).
  app.get(href('/webhooks/:id/deliveries/stream'), async (c) => {
    const ep = await getWebhook(deps, pathParam(c)); // 404 for an unknown endpoint, before any stream
    return sessionBoundStream(c, deps, async (signal) => changesAsPieces(watchDeliveries(deps, ep.id, { signal, since: c.req.query('since') || undefined })));
  });
  app.post(href('/webhooks/:id/test'), (c) =>
    runAction(c, deps.config, `/webhooks/${pathParam(c)}`, async ({ actor }) => {
      await sendTestEvent(deps, pathParam(c), actor);
      return { ok: 'A webhook.test event was queued.' };
    }),
  );
  app.post(href('/webhooks/:id/deliveries/:deliveryId/redeliver'), (c) =>
    runAction(c, deps.config, `/webhooks/${pathParam(c)}`, async ({ actor }) => {
      const d = await redeliver(deps, pathParam(c), pathParam(c, 'deliveryId'), actor);
      return { ok: `Redelivery ${d.id} queued.` };
    }),
  );
  // Answered in place, not redirected: the new secret must not travel in a URL, and is shown only here.
  app.post(href('/webhooks/:id/rotate-secret'), async (c) => {
    if (!(await readForm(c, deps.config))) return c.text('Form refused: missing or wrong CSRF token, or posted from another site.', 403);
    const rotated = await rotateWebhookSecret(deps, pathParam(c), dashboardActor(c.get('dashboardSession')));
    return c.html(await endpointPage(c, deps, rotated.id, rotated.secret));
  });
}

async function* changesAsPieces(changes: AsyncIterable<DeliveriesChange>): AsyncGenerator<StreamPiece> {
  for await (const change of changes)
    yield change.kind === 'heartbeat' ? change : { kind: 'messages', messages: [{ data: JSON.stringify({ type: 'webhook.deliveries_changed' }) }] };
}
