import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { Deps } from '../../../domain/deps.js';
import { listDeliveries, redeliver } from '../../../domain/webhooks/deliveries.js';
import { getWebhook, listWebhooks, rotateWebhookSecret } from '../../../domain/webhooks/endpoints.js';
import { sendTestEvent } from '../../../domain/webhooks/test-event.js';
import { runAction } from '../actions.js';
import { csrfField, href, page, stateBadge, when, type Html } from '../layout.js';
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
    html`<h1>Webhook <span class="mono">${ep.id}</span></h1>
      ${
        secret
          ? html`<section class="notice" role="status" aria-labelledby="h-secret">
              <h2 id="h-secret">New signing secret</h2>
              <p>Shown this once: copy it now. The old secret also signs for 24 hours.</p>
              <p class="secret" data-testid="secret">${secret}</p>
            </section>`
          : ''
      }
      <dl class="props">
        <dt>URL</dt>
        <dd class="mono">${ep.url}</dd>
        <dt>Description</dt>
        <dd>${ep.description ?? '—'}</dd>
        <dt>Events</dt>
        <dd>${ep.eventTypes.length ? ep.eventTypes.join(', ') : 'all'}</dd>
        <dt>Enabled</dt>
        <dd>${ep.enabled ? 'yes' : html`no (${ep.disabledReason ?? 'disabled'})`}</dd>
        <dt>Consecutive failures</dt>
        <dd>${ep.consecutiveFailures}${ep.failingSince ? html`, since ${when(ep.failingSince)}` : ''}</dd>
      </dl>
      <div class="actions">
        <form class="inline" method="post" action="${base}/test">${csrfField(c)}<button type="submit" class="secondary">Send a test event</button></form>
        <form class="inline" method="post" action="${base}/rotate-secret">${csrfField(c)}<button type="submit" class="secondary">Rotate secret</button></form>
      </div>
      <h2>Deliveries</h2>
      <div class="table-wrap" id="deliveries" data-live>
        <table>
          <caption class="skip">
            Deliveries, newest event first
          </caption>
          <thead>
            <tr>
              <th scope="col">Delivery</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Response</th>
              <th scope="col">Duration</th>
              <th scope="col">Error</th>
              <th scope="col">Updated</th>
              <th scope="col"></th>
            </tr>
          </thead>
          <tbody>
            ${deliveries.map((d) => {
              const last = d.attemptLog.at(-1);
              return html`<tr data-delivery="${d.id}">
                <td class="mono">${d.id}</td>
                <td>${d.eventType ?? '—'} <span class="muted">#${d.eventSeq}</span></td>
                <td data-testid="status">${stateBadge(d.status)}</td>
                <td>${d.attempts}</td>
                <td>${d.lastStatusCode ?? '—'}</td>
                <td>${last ? `${last.durationMs} ms` : '—'}</td>
                <td>${d.lastError ?? ''}</td>
                <td>${when(d.updatedAt)}</td>
                <td>
                  ${
                    d.status === 'pending' || d.status === 'delivering'
                      ? ''
                      : html`<form class="inline" method="post" action="${base}/deliveries/${d.id}/redeliver">
                          ${csrfField(c)} <button type="submit" class="secondary">Redeliver</button>
                        </form>`
                  }
                </td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>`,
  );
}

/** Webhook endpoints and their delivery log, with the API's own verbs for test, redeliver and rotate. */
export function registerWebhookPages(app: Hono, deps: Deps): void {
  app.get(href('/webhooks'), async (c) => {
    const items = await listWebhooks(deps);
    const content = html`<h1>Webhooks</h1>
      <div class="table-wrap">
        <table>
          <caption class="skip">
            Webhook endpoints
          </caption>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">URL</th>
              <th scope="col">Enabled</th>
              <th scope="col">Failures</th>
            </tr>
          </thead>
          <tbody>
            ${items.map(
              (w) =>
                html`<tr>
                  <td class="mono"><a href="${href(`/webhooks/${w.id}`)}">${w.id}</a></td>
                  <td class="mono">${w.url}</td>
                  <td>${w.enabled ? 'yes' : html`no (${w.disabledReason ?? 'disabled'})`}</td>
                  <td>${w.consecutiveFailures}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${items.length === 0 ? html`<p class="muted">No endpoints. Create one with POST /v1/webhooks.</p>` : ''}`;
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
