import { startReceiver } from '../../test/helpers/webhook-fixtures.js';
import { removeInstanceContainers } from '../../test/helpers/server.js';
import type { CompiledServer } from './compiled-server.js';
import { summarize, type Summary } from './stats.js';

/**
 * Webhook lag under load: a receiver on loopback is registered as an endpoint, then `workers` clients
 * create and delete real sandboxes (real containers) for `seconds`. Lag is the receipt time minus the
 * event's own time (its `timestamp`, stamped when the event row was written), for every sandbox.* delivery.
 * The server needs BERTH_WEBHOOK_ALLOW_PRIVATE=true to deliver to loopback.
 */
export type WebhookLoadFigures = { sandboxes: number; deliveries: number; lag: Summary; createP50Ms: number };

const BODY = JSON.stringify({
  image: { uri: 'berth-base:latest' },
  entrypoint: ['tail', '-f', '/dev/null'],
  resourceLimits: { cpu: '500m', memory: '256Mi' },
  timeout: 600,
  metadata: { bench: 'embedded-db' },
});

async function createDelete(server: CompiledServer, createMs: number[]): Promise<void> {
  const t0 = performance.now();
  const res = await server.api('/v1/sandboxes', { method: 'POST', body: BODY });
  const json = (await res.json()) as { id?: string };
  if (res.status !== 202 || !json.id) throw new Error(`create answered ${res.status}: ${JSON.stringify(json)}`);
  createMs.push(performance.now() - t0);
  const del = await server.api(`/v1/sandboxes/${json.id}`, { method: 'DELETE' });
  await del.arrayBuffer();
  if (del.status !== 204) throw new Error(`delete answered ${del.status}`);
}

export async function webhookLagUnderLoad(server: CompiledServer, opts: { workers: number; seconds: number }): Promise<WebhookLoadFigures> {
  const rx = await startReceiver(() => 204);
  try {
    const reg = await server.api('/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: rx.url() }) });
    if (reg.status !== 201) throw new Error(`webhook registration answered ${reg.status}: ${await reg.text()}`);
    const createMs: number[] = [];
    const until = performance.now() + opts.seconds * 1000;
    await Promise.all(
      Array.from({ length: opts.workers }, async () => {
        while (performance.now() < until) await createDelete(server, createMs);
      }),
    );
    // the load is over: wait until deliveries stop arriving (2 s of quiet, at most 60 s)
    let seen = -1;
    for (let waited = 0; waited < 60_000 && rx.delivered.length !== seen; waited += 2000) {
      seen = rx.delivered.length;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const lags = rx.delivered
      .map((r) => ({ at: r.at, body: JSON.parse(r.body) as { type: string; timestamp: string } }))
      .filter((d) => d.body.type.startsWith('sandbox.'))
      .map((d) => d.at - Date.parse(d.body.timestamp));
    return { sandboxes: createMs.length, deliveries: lags.length, lag: summarize(lags), createP50Ms: summarize(createMs).p50 };
  } finally {
    await rx.down();
    await removeInstanceContainers(server.instanceId);
  }
}
