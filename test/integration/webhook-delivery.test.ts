import { and, eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, webhookDeliveries, webhookEndpoints } from '../../src/db/schema/index.js';
import type { Deps } from '../../src/domain/deps.js';
import { appendEvent } from '../../src/domain/events/append.js';
import type { NewEvent } from '../../src/domain/events/types.js';
import { claimDue } from '../../src/domain/webhooks/claim.js';
import { listDeliveries } from '../../src/domain/webhooks/deliveries.js';
import { deliverGroup } from '../../src/domain/webhooks/deliver.js';
import { dispatchOnce } from '../../src/domain/webhooks/dispatch.js';
import { createWebhook, getWebhook, updateWebhook } from '../../src/domain/webhooks/endpoints.js';
import { fanoutOnce } from '../../src/domain/webhooks/fanout.js';
import { startWebhookLoops } from '../../src/domain/webhooks/loops.js';
import { policyWith } from '../../src/domain/webhooks/policy.js';
import { pruneOnce } from '../../src/domain/webhooks/prune.js';
import type { TestDb } from '../helpers/db.js';
import { freshPostgres, startReceiver, testConfig, waitFor, webhookDeps } from '../helpers/webhook-fixtures.js';

// Real Postgres, real HTTP receivers on loopback, the real node:http sender. Fast retry schedules keep it quick.
const fast = policyWith({ scheduleMs: [100, 150, 200, 250, 300], jitter: 0, requestTimeoutMs: 2_000 });

let t: TestDb;
let deps: Deps;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  t = await freshPostgres();
  deps = webhookDeps(t.handle.db);
});
afterAll(async () => {
  for (const c of cleanups) await c();
  await t.drop();
});

const emit = (e: Partial<NewEvent> = {}) =>
  deps.db
    .transaction((tx) => appendEvent(tx, deps, { type: 'sandbox.created', sandboxId: 'sbx-1', toState: 'Running', actor: 'test', ...e }))
    .then((r) => r[0]!);

async function receiver(respond?: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(respond);
  cleanups.push(r.close);
  return r;
}

/** Drive fan-out and dispatch until cond holds (what the loop does, one step at a time). */
async function pump(d: Deps, cond: () => boolean | Promise<boolean>, policy = fast, timeoutMs = 15_000) {
  await waitFor(
    async () => {
      await fanoutOnce(d);
      await dispatchOnce(d, { policy });
      return cond();
    },
    timeoutMs,
    30,
  );
}

describe('webhook delivery', () => {
  it('a receiver that is down for the first attempts gets the event later, correctly signed', async () => {
    const rx = await receiver();
    await rx.down();
    const ep = await createWebhook(deps, { url: rx.url(), eventTypes: ['sandbox.paused'] });
    const ev = await emit({ type: 'sandbox.paused', fromState: 'Running', toState: 'Paused', reason: 'user_pause' });
    await emit({ type: 'sandbox.created' }); // filtered out for this endpoint

    const stop = startWebhookLoops(deps, { policy: fast, intervalMs: 20 });
    try {
      const failedTwice = async () => {
        const [d] = await listDeliveries(deps, ep.id, { limit: 10 });
        return (d?.attemptLog.length ?? 0) >= 2;
      };
      await waitFor(failedTwice, 10_000);
      expect(rx.all).toHaveLength(0);
      await rx.up();
      await waitFor(() => rx.delivered.length === 1, 10_000);
      // Wait for the settle too: stopping first would hand the received delivery back as pending.
      await waitFor(async () => (await listDeliveries(deps, ep.id, { limit: 10 }))[0]?.status === 'succeeded', 10_000);
    } finally {
      await stop();
    }

    const got = rx.delivered[0]!;
    expect(got.headers['webhook-id']).toBe(ev.id);
    const payload = new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>) as any;
    expect(payload).toMatchObject({
      type: 'sandbox.paused',
      data: { id: ev.id, seq: ev.seq, fromState: 'Running', toState: 'Paused', reason: 'user_pause', sandboxId: 'sbx-1' },
    });

    const [d] = await listDeliveries(deps, ep.id, { limit: 10 });
    expect(d!.status).toBe('succeeded');
    expect(d!.attemptLog.length).toBeGreaterThanOrEqual(3);
    expect(d!.attemptLog.slice(0, -1).every((a) => a.statusCode === null && a.error === 'connection error ECONNREFUSED')).toBe(true);
    expect(d!.attemptLog.at(-1)).toMatchObject({ statusCode: 204, error: null });
    expect((await getWebhook(deps, ep.id)).consecutiveFailures).toBe(0);
  });

  it('a 410 disables the endpoint at once and appends webhook.disabled, which other endpoints receive', async () => {
    const gone = await receiver(() => 410);
    const watcher = await receiver();
    const a = await createWebhook(deps, { url: gone.url(), eventTypes: ['sandbox.deleted'] });
    const b = await createWebhook(deps, { url: watcher.url(), eventTypes: ['webhook.disabled'] });
    await emit({ type: 'sandbox.deleted', reason: 'user_delete' });

    await pump(deps, () => watcher.delivered.length === 1);
    expect(gone.all).toHaveLength(1);
    const epA = await getWebhook(deps, a.id);
    expect(epA.enabled).toBe(false);
    expect(epA.disabledReason).toMatch(/410/);
    const body = new Webhook(b.secret).verify(watcher.delivered[0]!.body, watcher.delivered[0]!.headers as Record<string, string>) as any;
    expect(body.type).toBe('webhook.disabled');
    expect(body.data).toMatchObject({ reason: 'endpoint_gone', actor: 'webhooks', data: { endpointId: a.id } });
    expect(JSON.stringify(body)).not.toContain(gone.url()); // URLs can carry tokens: not in events

    const [d] = await listDeliveries(deps, a.id, { limit: 5 });
    expect(d).toMatchObject({ status: 'failed', lastStatusCode: 410 });

    // a disabled endpoint gets nothing more
    await emit({ type: 'sandbox.deleted' });
    await fanoutOnce(deps);
    await dispatchOnce(deps, { policy: fast });
    expect(gone.all).toHaveLength(1);
    await updateWebhook(deps, b.id, { enabled: false });
  });

  it('an endpoint failing for long enough is disabled (failure run counted across deliveries)', async () => {
    const broken = await receiver(() => 500);
    const ep = await createWebhook(deps, { url: broken.url(), eventTypes: ['sandbox.failed'] });
    const policy = policyWith({ ...fast, disableAfterMs: 0, disableMinFailures: 4 });
    await emit({ type: 'sandbox.failed', reason: 'container_exited' });
    await emit({ type: 'sandbox.failed', reason: 'container_exited' });
    await pump(deps, async () => !(await getWebhook(deps, ep.id)).enabled, policy);
    expect(broken.all).toHaveLength(4);
    const now = await getWebhook(deps, ep.id);
    expect(now).toMatchObject({ enabled: false, consecutiveFailures: 4 });
    expect(now.disabledReason).toMatch(/failing/);
    const disabled = await deps.db.select().from(events).where(eq(events.type, 'webhook.disabled'));
    expect(disabled.filter((e) => e.data.endpointId === ep.id)).toHaveLength(1);

    // enabling again clears the failure record and the pending deliveries go out
    broken.all.length = 0;
    const fixed = await receiver();
    await updateWebhook(deps, ep.id, { url: fixed.url(), enabled: true });
    expect((await getWebhook(deps, ep.id)).consecutiveFailures).toBe(0);
    await pump(deps, () => fixed.delivered.length === 2);
  });

  it('keeps per-endpoint seq order, also across a failed attempt in the middle', async () => {
    let failedOnce = false;
    const rx = await receiver((r) => {
      const seq = JSON.parse(r.body).data.seq;
      if (!failedOnce && seq === target) {
        failedOnce = true;
        return 503;
      }
      return 200;
    });
    const ep = await createWebhook(deps, { url: rx.url(), eventTypes: ['sandbox.renewed'] });
    const seqs: number[] = [];
    for (let i = 0; i < 30; i++) seqs.push((await emit({ type: 'sandbox.renewed', sandboxId: `sbx-${i}` })).seq);
    const target = seqs[5]!;
    await pump(deps, () => rx.delivered.length === 30);
    expect(rx.delivered.map((r) => JSON.parse(r.body).data.seq)).toEqual(seqs);
    expect(rx.all).toHaveLength(31);
    const rows = await deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, ep.id));
    expect(rows.every((r) => r.status === 'succeeded')).toBe(true);
    await updateWebhook(deps, ep.id, { enabled: false });
  });

  it('a delivery leased by a process that died is delivered by another after the lease runs out', async () => {
    const rx = await receiver();
    const ep = await createWebhook(deps, { url: rx.url(), eventTypes: ['sandbox.expired'] });
    const ev = await emit({ type: 'sandbox.expired', reason: 'ttl_expiry', actor: 'reaper' });
    await fanoutOnce(deps);

    const dead = webhookDeps(t.handle.db, { config: deps.config, processId: 'dead-process' });
    const groups = await claimDue(dead, fast);
    expect(groups.flatMap((g) => g.deliveries).map((d) => d.eventId)).toContain(ev.id);
    // ... and then it "crashes": no attempt, no settle

    const survivor = webhookDeps(t.handle.db, { config: deps.config });
    expect((await dispatchOnce(survivor, { policy: fast })).claimed).toBe(0); // lease still held
    const later = new Date(Date.now() + fast.requestTimeoutMs + 6_000);
    const afterLease = { ...survivor, clock: { now: () => later } };
    expect((await dispatchOnce(afterLease, { policy: fast })).succeeded).toBe(1);
    expect(rx.delivered).toHaveLength(1);
    expect(rx.delivered[0]!.headers['webhook-id']).toBe(ev.id);
    const [d] = await deps.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, ep.id), eq(webhookDeliveries.eventId, ev.id)));
    expect(d).toMatchObject({ status: 'succeeded', attempts: 1, leaseOwner: null });
    await updateWebhook(deps, ep.id, { enabled: false });
  });

  it('a dispatcher whose lease was taken over cannot settle the delivery; the new owner does', async () => {
    const rx = await receiver();
    const ep = await createWebhook(deps, { url: rx.url(), eventTypes: ['sandbox.resumed'] });
    const ev = await emit({ type: 'sandbox.resumed' });
    await fanoutOnce(deps);
    const slow = webhookDeps(t.handle.db, { config: deps.config, processId: 'slow-process' });
    const [mine] = await claimDue(slow, fast);
    const later = new Date(Date.now() + fast.requestTimeoutMs + 6_000);
    const taker = webhookDeps(t.handle.db, { config: deps.config, processId: 'taker', clock: { now: () => later } });
    const [theirs] = await claimDue(taker, fast);
    expect(theirs!.deliveries.map((d) => d.eventId)).toEqual([ev.id]);

    expect(await deliverGroup(slow, fast, mine!)).toMatchObject({ succeeded: 0, lost_lease: 1 });
    const [row] = await deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, ev.id));
    expect(row).toMatchObject({ status: 'delivering', leaseOwner: 'taker', attempts: 0 });
    expect(await deliverGroup(taker, fast, theirs!)).toMatchObject({ succeeded: 1, lost_lease: 0 });
    const [done] = await deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, ev.id));
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, leaseOwner: null });
    expect(rx.delivered.map((r) => r.headers['webhook-id'])).toEqual([ev.id, ev.id]); // at-least-once: one repeat
    const log = await listDeliveries(deps, ep.id, { limit: 5 });
    expect(log[0]!.attemptLog).toHaveLength(2); // both attempts happened and are on record
    await updateWebhook(deps, ep.id, { enabled: false });
  });

  it('stop() aborts a hanging request and hands the delivery back, unattempted, for the next run', async () => {
    let arrived = false;
    const hanging = await receiver(async () => {
      arrived = true;
      await new Promise((r) => setTimeout(r, 20_000));
      return 204;
    });
    const ep = await createWebhook(deps, { url: hanging.url(), eventTypes: ['sandbox.metadata_updated'] });
    const ev = await emit({ type: 'sandbox.metadata_updated' });
    const stop = startWebhookLoops(deps, { policy: policyWith({ ...fast, requestTimeoutMs: 15_000 }), intervalMs: 20 });
    await waitFor(() => arrived);
    const t0 = Date.now();
    await stop();
    expect(Date.now() - t0).toBeLessThan(2_000); // not the 15 s request timeout
    const [d] = await deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, ev.id));
    expect(d).toMatchObject({ status: 'pending', attempts: 0, leaseOwner: null });
    await updateWebhook(deps, ep.id, { enabled: false });
  });

  it('secrets are stored encrypted, never in the clear', async () => {
    const ep = await createWebhook(deps, { url: 'http://127.0.0.1:9/never' });
    const [row] = await deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, ep.id));
    expect(row!.secretEnc).not.toContain(ep.secret.slice(6, 20));
    expect(JSON.stringify(await getWebhook(deps, ep.id))).not.toContain(ep.secret);
    await updateWebhook(deps, ep.id, { enabled: false });
  });

  it('retention prunes old finished deliveries and old events, but not what is still undelivered', async () => {
    const rx = await receiver(() => 500);
    const ep = await createWebhook(deps, { url: rx.url(), eventTypes: ['sandbox.terminated'] });
    const stuck = await emit({ type: 'sandbox.terminated' });
    await fanoutOnce(deps);
    await dispatchOnce(deps, { policy: fast }); // fails once, stays pending
    const future = { ...deps, clock: { now: () => new Date(Date.now() + (deps.config.eventRetentionHours + 1) * 3_600_000) } };
    const before = await deps.db.select({ seq: events.seq }).from(events);
    const pruned = await pruneOnce(future);
    expect(pruned.events).toBe(before.length - 1);
    expect(pruned.deliveries).toBeGreaterThan(0);
    const left = await deps.db.select({ seq: events.seq }).from(events);
    expect(left.map((e) => e.seq)).toEqual([stuck.seq]);
    const pending = await deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, ep.id));
    expect(pending.map((d) => d.status)).toEqual(['pending']);
    expect(await deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.status, 'succeeded'))).toHaveLength(0);
  });
});

// Independent of the file's shared database: the config used by testConfig() is valid on its own.
it('testConfig allows private targets (tests only)', () => expect(testConfig().webhookAllowPrivate).toBe(true));
