import { afterAll, beforeAll, expect, it } from 'vitest';
import { createNetworkTransport } from '../../src/adapters/webhooks/transport.js';
import { appendEvent } from '../../src/domain/events/append.js';
import { listDeliveries } from '../../src/domain/webhooks/deliveries.js';
import { dispatchOnce } from '../../src/domain/webhooks/dispatch.js';
import { createWebhook } from '../../src/domain/webhooks/endpoints.js';
import { fanoutOnce } from '../../src/domain/webhooks/fanout.js';
import { policyWith } from '../../src/domain/webhooks/policy.js';
import type { TestDb } from '../helpers/db.js';
import { freshPostgres, startReceiver, testConfig, waitFor, webhookDeps } from '../helpers/webhook-fixtures.js';

// DNS rebinding through the whole delivery path: the name answers a public address to the up-front check
// (on create and before the run) and loopback when the sender connects. Nothing may reach the receiver.
let t: TestDb;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  t = await freshPostgres();
});
afterAll(async () => {
  for (const c of cleanups) await c();
  await t.drop();
});

it('a name that passes the domain check but resolves to loopback at connect time is not delivered to', async () => {
  const rx = await startReceiver();
  cleanups.push(rx.close);
  const port = new URL(rx.url()).port;
  const resolverCalls: string[] = [];
  const transport = {
    ...createNetworkTransport({ allowPrivate: false, lookup: async () => ['127.0.0.1'] }),
    resolve: async (host: string) => (resolverCalls.push(host), ['93.184.216.34']),
  };
  const deps = webhookDeps(t.handle.db, { config: testConfig({ BERTH_WEBHOOK_ALLOW_PRIVATE: '0' }), webhookTransport: transport });

  const ep = await createWebhook(deps, { url: `http://hooks.rebind.test:${port}/hook` });
  await deps.db.transaction((tx) => appendEvent(tx, deps, { type: 'sandbox.created', sandboxId: 'sbx-1', toState: 'Running', actor: 'test' }));
  const policy = policyWith({ scheduleMs: [60_000], jitter: 0, requestTimeoutMs: 2_000 });
  const attempts = await waitFor(async () => {
    await fanoutOnce(deps);
    await dispatchOnce(deps, { policy });
    const log = (await listDeliveries(deps, ep.id, { limit: 10 }))[0]?.attemptLog ?? [];
    return log.length > 0 ? log : null;
  });

  expect(resolverCalls.length).toBeGreaterThanOrEqual(2); // create + the run: the domain check saw a public address
  expect(attempts[0]).toMatchObject({ statusCode: null, error: 'address not allowed (private_address at connect)' });
  expect(rx.all).toHaveLength(0);
});
