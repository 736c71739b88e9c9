import { appendEvent } from '../src/domain/events/append.js';
import { createWebhook } from '../src/domain/webhooks/endpoints.js';
import { fanoutOnce } from '../src/domain/webhooks/fanout.js';
import { claimDue } from '../src/domain/webhooks/claim.js';
import { deliverGroup } from '../src/domain/webhooks/deliver.js';
import { fetchSender, type Sender } from '../src/adapters/webhooks/sender.js';
import { DEFAULT_POLICY } from '../src/domain/webhooks/policy.js';
import { freshPostgres, startReceiver, webhookDeps } from '../test/helpers/webhook-fixtures.js';
const t = await freshPostgres();
const deps = webhookDeps(t.handle.db);
const rx = await startReceiver();
await createWebhook(deps, { url: rx.url() });
const N = 600;
let next = 0;
const writers = Promise.all([0, 1, 2, 3].map(async () => { while (next < N) { next++; await deps.db.transaction((tx) => appendEvent(tx, deps, { type: 'sandbox.running', actor: 'x' })); } }));
let sendMs = 0;
const send: Sender = async (r) => { const a = performance.now(); const x = await fetchSender(r); sendMs += performance.now() - a; return x; };
await writers;
const acc = { fan: 0, claim: 0, deliver: 0, cycles: 0, items: 0 };
const t0 = performance.now();
while (rx.delivered.length < N) {
  let a = performance.now();
  await fanoutOnce(deps);
  acc.fan += performance.now() - a; a = performance.now();
  const gs = await claimDue(deps, DEFAULT_POLICY);
  acc.claim += performance.now() - a; a = performance.now();
  for (const g of gs) { acc.items += g.deliveries.length; await deliverGroup(deps, DEFAULT_POLICY, g, { send }); }
  acc.deliver += performance.now() - a;
  acc.cycles++;
}
await writers;
console.log({ sendMs: Math.round(sendMs), total: Math.round(performance.now() - t0), ...Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, Math.round(v)])) });
await rx.close();
await t.drop();
process.exit(0);
