/**
 * npm run bench:events — how fast the event log reaches its consumers:
 *  (a) paced: BENCH_RATE events/s (default 100) for BENCH_SECONDS (10), each appended in its own
 *      transaction as a state change is; lag from commit to receipt by a webhook receiver on loopback
 *      (signed, verified) and by an SSE client (/v1/events), p50/p95/max. Target: p95 < 200 ms.
 *  (b) burst: BENCH_BURST events (2000) from 4 concurrent writers as fast as they go; events/s until the
 *      last one reached the receiver and the SSE client.
 * BENCH_DB=postgres|pglite|both (default both). Server, dispatcher, receiver and client share this one
 * process (and its event loop), so the numbers include that contention; production polls the same way.
 */
import { serve, type ServerType } from '@hono/node-server';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Deps } from '../src/domain/deps.js';
import { appendEvent } from '../src/domain/events/append.js';
import { createWebhook } from '../src/domain/webhooks/endpoints.js';
import { startWebhookLoops } from '../src/domain/webhooks/loops.js';
import { registerEventRoutes } from '../src/http/routes/events.js';
import { createPgliteTestDb, type TestDb } from '../test/helpers/db.js';
import { openSse } from '../test/helpers/sse-client.js';
import { freshPostgres, startReceiver, waitFor, webhookDeps } from '../test/helpers/webhook-fixtures.js';
import { summarize, type Summary } from './lib/stats.js';

const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BURST = Number(process.env.BENCH_BURST ?? 2000);
const DBS = (process.env.BENCH_DB ?? 'both') === 'both' ? ['postgres', 'pglite'] : [process.env.BENCH_DB!];
const TARGET_P95_MS = 200;
const log = (s: string) => process.stderr.write(`${s}\n`);

type Rig = { deps: Deps; committed: Map<string, number>; webhookAt: Map<string, number>; sseAt: Map<string, number>; close: () => Promise<void> };

async function rig(db: TestDb): Promise<Rig> {
  const deps = webhookDeps(db.handle.db);
  const committed = new Map<string, number>();
  const webhookAt = new Map<string, number>();
  const sseAt = new Map<string, number>();
  let verifier: Webhook | undefined;
  const rx = await startReceiver((r) => {
    const id = r.headers['webhook-id'] as string;
    verifier!.verify(r.body, r.headers as Record<string, string>); // a bad signature would throw: no receipt
    if (!webhookAt.has(id)) webhookAt.set(id, performance.now());
    return 204;
  });
  const ep = await createWebhook(deps, { url: rx.url() });
  verifier = new Webhook(ep.secret);
  const stopLoops = startWebhookLoops(deps, { intervalMs: 50 });

  const app = new OpenAPIHono();
  registerEventRoutes(app, deps, { pollMs: 50 });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  // stamp SSE arrivals as the client parses them
  const sse = await openSse(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`, {}, (m) =>
    sseAt.set(JSON.parse(m.data).id, performance.now()),
  );
  return {
    deps,
    committed,
    webhookAt,
    sseAt,
    close: async () => {
      await sse.close();
      await stopLoops();
      (server as import('node:http').Server).closeAllConnections();
      await new Promise((r) => server.close(r));
      await rx.close();
    },
  };
}

async function append(r: Rig, i: number) {
  const [ev] = await r.deps.db.transaction((tx) => appendEvent(tx, r.deps, { type: 'sandbox.renewed', sandboxId: `bench-${i}`, actor: 'bench' }));
  r.committed.set(ev!.id, performance.now());
}

const lags = (r: Rig, at: Map<string, number>) => [...r.committed].map(([id, t]) => at.get(id)! - t);

/** Unmeasured: the first fetch loads undici, the first queries get planned; none of that is steady state. */
async function warmUp(r: Rig) {
  for (let i = 0; i < 50; i++) await append(r, -i);
  await waitFor(() => r.webhookAt.size >= 50 && r.sseAt.size >= 50, 60_000, 50);
  r.committed.clear();
  r.webhookAt.clear();
  r.sseAt.clear();
}

async function paced(r: Rig): Promise<{ webhook: Summary; sse: Summary; achievedRate: number }> {
  const total = RATE * SECONDS;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    await append(r, i);
  }
  const achievedRate = total / ((performance.now() - t0) / 1000);
  await waitFor(() => r.webhookAt.size >= total && r.sseAt.size >= total, 60_000, 50);
  return { webhook: summarize(lags(r, r.webhookAt)), sse: summarize(lags(r, r.sseAt)), achievedRate: Math.round(achievedRate) };
}

async function burst(r: Rig): Promise<{ appendPerSec: number; webhookPerSec: number; ssePerSec: number }> {
  r.committed.clear();
  r.webhookAt.clear();
  r.sseAt.clear();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    [0, 1, 2, 3].map(async () => {
      while (next < BURST) await append(r, next++);
    }),
  );
  const appended = performance.now();
  await waitFor(() => r.webhookAt.size >= BURST && r.sseAt.size >= BURST, 120_000, 50);
  const last = (m: Map<string, number>) => Math.max(...m.values());
  const perSec = (end: number) => Math.round(BURST / ((end - t0) / 1000));
  return { appendPerSec: perSec(appended), webhookPerSec: perSec(last(r.webhookAt)), ssePerSec: perSec(last(r.sseAt)) };
}

async function main() {
  const results: Record<string, unknown> = {};
  for (const kind of DBS) {
    log(`[${kind}] setting up`);
    const db = kind === 'postgres' ? await freshPostgres() : await createPgliteTestDb();
    const r = await rig(db);
    try {
      await warmUp(r);
      log(`[${kind}] paced: ${RATE} events/s for ${SECONDS} s`);
      const p = await paced(r);
      log(`[${kind}] burst: ${BURST} events from 4 writers`);
      const b = await burst(r);
      results[kind] = { paced: { rate: RATE, ...p, targetP95Ms: TARGET_P95_MS, met: p.webhook.p95 < TARGET_P95_MS && p.sse.p95 < TARGET_P95_MS }, burst: b };
      log(`[${kind}] webhook lag p50 ${p.webhook.p50} ms, p95 ${p.webhook.p95} ms, max ${p.webhook.max} ms`);
      log(`[${kind}] SSE lag     p50 ${p.sse.p50} ms, p95 ${p.sse.p95} ms, max ${p.sse.max} ms`);
      log(`[${kind}] burst: append ${b.appendPerSec}/s, webhook ${b.webhookPerSec}/s, SSE ${b.ssePerSec}/s`);
    } finally {
      await r.close();
      await db.drop();
    }
  }
  console.log(JSON.stringify(results, null, 2));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
