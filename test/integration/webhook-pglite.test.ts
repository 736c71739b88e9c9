import { OpenAPIHono } from '@hono/zod-openapi';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Deps } from '../../src/domain/deps.js';
import { appendEvent } from '../../src/domain/events/append.js';
import { listDeliveries } from '../../src/domain/webhooks/deliveries.js';
import { createWebhook } from '../../src/domain/webhooks/endpoints.js';
import { startWebhookLoops } from '../../src/domain/webhooks/loops.js';
import { policyWith } from '../../src/domain/webhooks/policy.js';
import { pruneOnce } from '../../src/domain/webhooks/prune.js';
import { registerEventRoutes } from '../../src/http/routes/events.js';
import { createPgliteTestDb, type TestDb } from '../helpers/db.js';
import { startReceiver, waitFor, webhookDeps } from '../helpers/webhook-fixtures.js';

// The embedded PGlite is the default database: the raw SQL (claims, prune) and the loop must work there too.
let t: TestDb;
let deps: Deps;

beforeAll(async () => {
  t = await createPgliteTestDb();
  deps = webhookDeps(t.handle.db);
});
afterAll(async () => t.drop());

it('fan-out, claim, retry, delivery, SSE replay and prune on PGlite', async () => {
  let n = 0;
  const rx = await startReceiver(() => (++n === 1 ? 500 : 200));
  const ep = await createWebhook(deps, { url: rx.url() });
  const emitted: Array<{ id: string; seq: number }> = [];
  for (let i = 0; i < 5; i++) {
    emitted.push((await deps.db.transaction((tx) => appendEvent(tx, deps, { type: 'sandbox.created', sandboxId: `s${i}`, actor: 'test' })))[0]!);
  }
  const stop = startWebhookLoops(deps, { policy: policyWith({ scheduleMs: [50, 50], jitter: 0 }), intervalMs: 20 });
  try {
    await waitFor(() => rx.delivered.length === 5, 15_000);
    // Received is not yet settled: stopping the loops now would hand an unsettled delivery back as pending.
    await waitFor(async () => (await listDeliveries(deps, ep.id, { limit: 10 })).every((d) => d.status === 'succeeded'), 15_000);
  } finally {
    await stop();
  }
  await rx.close();
  expect(rx.delivered.map((r) => JSON.parse(r.body).data.seq)).toEqual(emitted.map((e) => e.seq));
  expect(() => new Webhook(ep.secret).verify(rx.delivered[0]!.body, rx.delivered[0]!.headers as Record<string, string>)).not.toThrow();
  const log = await listDeliveries(deps, ep.id, { limit: 10 });
  expect(log.find((d) => d.eventSeq === emitted[0]!.seq)!.attemptLog.map((a) => a.statusCode)).toEqual([500, 200]);

  // SSE through app.request: the stream is read until the five events are in, then cancelled
  const app = new OpenAPIHono();
  registerEventRoutes(app, deps, { pollMs: 20 });
  const res = await app.request('/v1/events?after=0');
  const reader = res.body!.getReader();
  let text = '';
  while ((text.match(/^id: /gm) ?? []).length < 5) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  expect([...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual(emitted.map((e) => e.seq));

  const later = { ...deps, clock: { now: () => new Date(Date.now() + 400 * 24 * 3_600_000) } };
  expect(await pruneOnce(later)).toEqual({ events: 5, deliveries: 5 });
});
