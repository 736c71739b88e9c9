import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDb, type DbHandle } from '../../src/adapters/postgres/client.js';
import type { Sender } from '../../src/adapters/webhooks/sender.js';
import { appendEvent } from '../../src/domain/events/append.js';
import { createWebhook } from '../../src/domain/webhooks/endpoints.js';
import { startWebhookLoops } from '../../src/domain/webhooks/loops.js';
import { policyWith } from '../../src/domain/webhooks/policy.js';
import type { TestDb } from '../helpers/db.js';
import { freshPostgres, startReceiver, testConfig, waitFor, webhookDeps } from '../helpers/webhook-fixtures.js';

// Two dispatchers = two Deps with their own connection pools and processIds on one database, as two
// berth processes would be. Each event must reach each endpoint at least once; duplicates are counted.
const policy = policyWith({ scheduleMs: [50, 100, 150, 200], jitter: 0, requestTimeoutMs: 2_000 });

let t: TestDb;
let second: DbHandle;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  t = await freshPostgres();
  second = await openDb({ databaseUrl: t.url, poolSize: 10 });
});
afterAll(async () => {
  for (const c of closers) await c();
  await second.close();
  await t.drop();
});

it('two dispatchers deliver every event to every endpoint, in order, and the duplicates are counted', async () => {
  const config = testConfig();
  const a = webhookDeps(t.handle.db, { config, processId: 'proc-a' });
  const b = webhookDeps(second.db, { config, processId: 'proc-b' });
  const sends = { a: 0, b: 0 };
  const deps = { a, b };
  const counting =
    (k: 'a' | 'b'): Sender =>
    async (req) => {
      sends[k]++;
      return deps[k].webhookTransport.send(req);
    };

  // every tenth event is refused once (503), so retries and the ordering hold also run across processes
  const refused = new Set<string>();
  const receivers = await Promise.all(
    [0, 1, 2].map(() =>
      startReceiver((r) => {
        const { seq } = JSON.parse(r.body).data;
        const key = `${r.path}:${seq}`;
        if (seq % 10 === 0 && !refused.has(key)) {
          refused.add(key);
          return 503;
        }
        return 200;
      }),
    ),
  );
  for (const r of receivers) closers.push(r.close);
  for (const r of receivers) await createWebhook(a, { url: r.url() });

  const stopA = startWebhookLoops(a, { policy, intervalMs: 20, send: counting('a') });
  const stopB = startWebhookLoops(b, { policy, intervalMs: 20, send: counting('b') });
  closers.push(stopA, stopB);

  // writers on both pools, some concurrently, as API requests on two servers would be
  const N = 150;
  const seqs: number[] = [];
  for (let i = 0; i < N; i += 3) {
    const batch = await Promise.all(
      [a, b, a].map((d, j) => d.db.transaction((tx) => appendEvent(tx, d, { type: 'sandbox.running', sandboxId: `sbx-${i + j}`, actor: 'test' }))),
    );
    seqs.push(...batch.map((r) => r[0]!.seq));
    if (i % 30 === 0) await new Promise((r) => setTimeout(r, 25));
  }
  seqs.sort((x, y) => x - y);

  await waitFor(() => receivers.every((r) => new Set(r.delivered.map((d) => d.headers['webhook-id'])).size === N), 60_000, 50);
  await stopA();
  await stopB();

  let duplicates = 0;
  for (const r of receivers) {
    const ids = r.delivered.map((d) => d.headers['webhook-id'] as string);
    duplicates += ids.length - new Set(ids).size;
    const firstSeen: number[] = [];
    const seen = new Set<number>();
    for (const d of r.delivered) {
      const { seq } = JSON.parse(d.body).data;
      if (!seen.has(seq)) firstSeen.push(seq);
      seen.add(seq);
    }
    expect(firstSeen).toEqual(seqs); // each endpoint saw the events in seq order
  }
  const report = { events: N, endpoints: receivers.length, duplicates, sendsByProcess: sends, refusedOnce: refused.size };
  console.log('two-dispatcher delivery report', JSON.stringify(report));
  expect(sends.a).toBeGreaterThan(0);
  expect(sends.b).toBeGreaterThan(0);
  // every send is either one 2xx delivery or one of the 503s we asked for
  expect(sends.a + sends.b).toBe(N * receivers.length + refused.size + duplicates);
});
