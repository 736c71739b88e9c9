import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, webhookDeliveries } from '../../src/db/schema/index.js';
import { dispatchOnce } from '../../src/domain/webhooks/dispatch.js';
import { fanoutOnce } from '../../src/domain/webhooks/fanout.js';
import { buildTestApp, createBody, DB_KINDS, type TestApp } from '../helpers/app.js';
import { actorOfCookie, DASHBOARD_ORIGIN, eventsOfType, signInDashboard, type DashboardClient } from '../helpers/dashboard.js';
import { startReceiver } from '../helpers/webhook-fixtures.js';

// The dashboard's webhook actions (send a test, redeliver, rotate the secret) are logged with the session as
// actor, never fanned out to webhook endpoints, and never carry the secret.
describe.each(DB_KINDS)('dashboard audit trail on %s', (kind) => {
  let t: TestApp;
  let dash: DashboardClient;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let status = 410;

  beforeAll(async () => {
    t = await buildTestApp(kind, { config: { webhookAllowPrivate: true } });
    receiver = await startReceiver((r) => (r.path === '/all' ? 204 : status));
    dash = await signInDashboard(t.app);
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  it('logs send-a-test, redeliver and secret rotation with the session as actor, fans none of them out, and logs no secret', async () => {
    const actor = actorOfCookie(dash.cookie);
    // A receiver that answers 410 Gone: the first delivery fails for good (and disables the endpoint).
    const hook = await t.call('POST', '/v1/webhooks', { url: receiver.url(), eventTypes: ['sandbox.created'] });
    const { id: hookId, secret: firstSecret } = (await hook.json()) as { id: string; secret: string };
    // An endpoint that takes every fanned-out type: it must get none of the log-only events.
    const all = await t.call('POST', '/v1/webhooks', { url: receiver.url('/all') });
    const { id: allId } = (await all.json()) as { id: string };
    expect((await t.call('POST', '/v1/sandboxes', createBody())).status).toBe(202);
    await fanoutOnce(t.deps);
    await dispatchOnce(t.deps);
    const [failed] = await t.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, hookId));
    expect(failed?.status).toBe('failed');

    status = 204;
    expect((await t.call('PATCH', `/v1/webhooks/${hookId}`, { enabled: true })).status).toBe(200);
    const redelivered = await dash.post(`/dashboard/webhooks/${hookId}/deliveries/${failed!.id}/redeliver`);
    expect(new URL(redelivered.headers.get('location')!, DASHBOARD_ORIGIN).searchParams.get('ok')).toMatch(/^Redelivery dlv_\w+ queued\.$/);
    expect((await dash.post(`/dashboard/webhooks/${hookId}/test`)).status).toBe(303);
    const rotated = await dash.post(`/dashboard/webhooks/${hookId}/rotate-secret`);
    const newSecret = /data-testid="secret">(whsec_[^<]+)</.exec(await rotated.text())![1]!;

    const [redo] = await eventsOfType(t.deps.db, 'webhook.redelivered');
    expect(redo).toMatchObject({ actor, data: { endpointId: hookId, redeliveryOf: failed!.id, eventSeq: failed!.eventSeq } });
    expect((await eventsOfType(t.deps.db, 'webhook.test')).map((e) => e.actor)).toEqual([actor]);
    const [rotation] = await eventsOfType(t.deps.db, 'webhook.secret_rotated');
    expect(rotation).toMatchObject({ actor, data: { endpointId: hookId } });
    const logged = JSON.stringify(await t.deps.db.select().from(events));
    for (const s of [firstSecret, newSecret]) expect(logged).not.toContain(s);

    await fanoutOnce(t.deps);
    const toAll = await t.deps.db
      .select({ type: events.type })
      .from(webhookDeliveries)
      .innerJoin(events, eq(events.seq, webhookDeliveries.eventSeq))
      .where(eq(webhookDeliveries.endpointId, allId));
    expect(toAll.map((d) => d.type)).toEqual(['sandbox.created', 'sandbox.running', 'webhook.disabled']); // none of the three above
    // The redelivery itself was sent (fan-out only skips the news of it).
    await dispatchOnce(t.deps);
    expect(receiver.delivered.filter((r) => r.path === '/hook').length).toBeGreaterThanOrEqual(2); // the redelivery and the test
  });

  it('refuses a webhook filter naming a log-only type', async () => {
    const res = await t.call('POST', '/v1/webhooks', { url: receiver.url(), eventTypes: ['webhook.secret_rotated'] });
    expect(res.status).toBe(400);
  });
});
