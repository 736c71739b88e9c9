import { OpenAPIHono } from '@hono/zod-openapi';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/domain/deps.js';
import { isDomainError } from '../../src/domain/errors.js';
import { STATUS_BY_KIND } from '../../src/http/errors.js';
import { dispatchOnce } from '../../src/domain/webhooks/dispatch.js';
import { policyWith } from '../../src/domain/webhooks/policy.js';
import { registerWebhookRoutes } from '../../src/http/routes/webhooks.js';
import type { TestDb } from '../helpers/db.js';
import { freshPostgres, startReceiver, testConfig, webhookDeps } from '../helpers/webhook-fixtures.js';

// A minimal app standing in for the lead's: requestId, DomainError -> status, zod errors -> 400.
function appFor(deps: Deps) {
  const app = new OpenAPIHono({
    defaultHook: (r, c) => (r.success ? undefined : c.json({ code: 'SANDBOX::INVALID_PARAMETER', message: 'invalid request' }, 400)),
  });
  app.use('*', async (c, next) => {
    c.set('requestId', 'req-1');
    await next();
  });
  app.onError((err, c) =>
    isDomainError(err) ? c.json({ code: err.code, message: err.message }, STATUS_BY_KIND[err.kind] as 400) : c.json({ code: 'X', message: String(err) }, 500),
  );
  registerWebhookRoutes(app, deps);
  return app;
}

const fast = policyWith({ scheduleMs: [50], jitter: 0, requestTimeoutMs: 2_000 });
let t: TestDb;
let deps: Deps;
let app: OpenAPIHono;
let rx: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  t = await freshPostgres();
  deps = webhookDeps(t.handle.db);
  app = appFor(deps);
  rx = await startReceiver();
});
afterAll(async () => {
  await rx.close();
  await t.drop();
});

const call = (path: string, method = 'GET', body?: unknown) =>
  app.request(path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });

describe('/v1/webhooks', () => {
  it('refuses loopback, private and link-local targets unless the config allows them', async () => {
    const strict = appFor(webhookDeps(t.handle.db, { config: testConfig({ BERTH_WEBHOOK_ALLOW_PRIVATE: '0' }) }));
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]/x', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.5/x']) {
      const res = await strict.request('/v1/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
      expect(res.status, url).toBe(400);
      expect((await res.json()).code).toBe('WEBHOOK::URL_NOT_ALLOWED');
    }
    const bad = await strict.request('/v1/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'gopher://x' }),
    });
    expect((await bad.json()).code).toBe('WEBHOOK::INVALID_URL');
  });

  it('create returns the secret once; get and list never do', async () => {
    const res = await call('/v1/webhooks', 'POST', { url: rx.url(), description: 'ops', eventTypes: ['sandbox.created'] });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created.secret).toMatch(/^whsec_/);
    expect(created).toMatchObject({ url: rx.url(), description: 'ops', eventTypes: ['sandbox.created'], enabled: true });
    const got = await (await call(`/v1/webhooks/${created.id}`)).json();
    expect(got.secret).toBeUndefined();
    const list = await (await call('/v1/webhooks')).json();
    expect(list.items.map((e: { id: string }) => e.id)).toContain(created.id);
    expect(JSON.stringify(list)).not.toContain(created.secret);
  });

  it('validates the body: unknown event types and fields are 400', async () => {
    expect((await call('/v1/webhooks', 'POST', { url: rx.url(), eventTypes: ['sandbox.exploded'] })).status).toBe(400);
    expect((await call('/v1/webhooks', 'POST', { url: rx.url(), secret: 'whsec_mine' })).status).toBe(400);
    expect((await call('/v1/webhooks', 'POST', {})).status).toBe(400);
  });

  it('update, rotate, test event, delivery log, redeliver, delete', async () => {
    const created = await (await call('/v1/webhooks', 'POST', { url: rx.url() })).json();
    const patched = await (await call(`/v1/webhooks/${created.id}`, 'PATCH', { description: 'renamed', eventTypes: ['sandbox.deleted'] })).json();
    expect(patched).toMatchObject({ description: 'renamed', eventTypes: ['sandbox.deleted'], url: rx.url() });

    const rotated = await (await call(`/v1/webhooks/${created.id}/rotate-secret`, 'POST')).json();
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);

    const test = await call(`/v1/webhooks/${created.id}/test`, 'POST');
    expect(test.status).toBe(202);
    const { eventId, deliveryId } = await test.json();
    expect((await dispatchOnce(deps, { policy: fast })).succeeded).toBe(1);
    const got = rx.delivered.find((r) => r.headers['webhook-id'] === eventId)!;
    const h = got.headers as Record<string, string>;
    // signed with the new secret and, during the grace period, the old one
    expect((new Webhook(rotated.secret).verify(got.body, h) as any).type).toBe('webhook.test');
    expect((new Webhook(created.secret).verify(got.body, h) as any).data.data.endpointId).toBe(created.id);

    const log = await (await call(`/v1/webhooks/${created.id}/deliveries`)).json();
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({ id: deliveryId, eventId, eventType: 'webhook.test', status: 'succeeded', attempts: 1 });
    expect(log.items[0].attemptLog).toEqual([expect.objectContaining({ statusCode: 204, error: null })]);
    expect(log.items[0].attemptLog[0].durationMs).toBeGreaterThanOrEqual(0);

    const again = await call(`/v1/webhooks/${created.id}/deliveries/${deliveryId}/redeliver`, 'POST');
    expect(again.status).toBe(202);
    const redo = await again.json();
    expect(redo).toMatchObject({ eventId, status: 'pending', attempts: 0 });
    expect(redo.id).not.toBe(deliveryId);
    const busy = await call(`/v1/webhooks/${created.id}/deliveries/${redo.id}/redeliver`, 'POST');
    expect(busy.status).toBe(409);
    expect((await busy.json()).code).toBe('WEBHOOK::DELIVERY_IN_PROGRESS');
    await dispatchOnce(deps, { policy: fast });
    expect(rx.delivered.filter((r) => r.headers['webhook-id'] === eventId)).toHaveLength(2); // same webhook-id: receivers dedupe

    const succeeded = await (await call(`/v1/webhooks/${created.id}/deliveries?status=succeeded&limit=1`)).json();
    expect(succeeded.items).toHaveLength(1);

    expect((await call(`/v1/webhooks/${created.id}`, 'DELETE')).status).toBe(204);
    expect((await call(`/v1/webhooks/${created.id}`)).status).toBe(404);
    expect((await (await call(`/v1/webhooks/${created.id}/deliveries`)).json()).code).toBe('WEBHOOK::NOT_FOUND');
  });

  it('a disabled endpoint refuses test events (409)', async () => {
    const created = await (await call('/v1/webhooks', 'POST', { url: rx.url(), enabled: false })).json();
    const res = await call(`/v1/webhooks/${created.id}/test`, 'POST');
    expect(res.status).toBe(409);
    expect((await res.json()).code).toBe('WEBHOOK::ENDPOINT_DISABLED');
  });
});
