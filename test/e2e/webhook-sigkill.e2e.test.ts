import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { webhookAttempts, webhookDeliveries } from '../../src/db/schema/index.js';
import { appendEvent } from '../../src/domain/events/append.js';
import { createWebhook } from '../../src/domain/webhooks/endpoints.js';
import type { TestDb } from '../helpers/db.js';
import { freshPostgres, startReceiver, testConfig, waitFor, webhookDeps } from '../helpers/webhook-fixtures.js';

// A dispatcher process is killed with SIGKILL while its request is at the receiver (no answer yet, nothing
// settled). A second process must deliver the event after the first one's lease runs out: at-least-once,
// with the same webhook-id so the receiver can tell the repeat.
const ROOT = new URL('../..', import.meta.url).pathname;
const SECRET_KEY = randomBytes(32).toString('hex');
let t: TestDb;
const children: ChildProcess[] = [];

beforeAll(async () => {
  t = await freshPostgres();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await t.drop();
});

function startDispatcher(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/webhook-dispatcher-child.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DATABASE_URL: t.url, BERTH_SECRET_KEY: SECRET_KEY, WEBHOOK_TIMEOUT_MS: '2000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b) => {
      out += b.toString();
      if (out.includes('dispatcher ready')) resolve(child);
    });
    child.stderr!.on('data', (b) => (out += b.toString()));
    child.once('exit', (code) => reject(new Error(`dispatcher exited ${code}: ${out}`)));
  });
}

it('a dispatcher killed with SIGKILL mid-delivery: the event is delivered after a restart', async () => {
  const deps = webhookDeps(t.handle.db, { config: testConfig({ BERTH_SECRET_KEY: SECRET_KEY }) });
  let hold = true;
  let arrived!: () => void;
  const firstArrived = new Promise<void>((r) => (arrived = r));
  // the first request is held without an answer until its sender is dead
  const rx = await startReceiver(async () => {
    if (hold) {
      hold = false;
      arrived();
      await new Promise((r) => setTimeout(r, 1_500));
      return 200; // too late: the sender is gone, so this answer reaches nobody
    }
    return 204;
  });
  const ep = await createWebhook(deps, { url: rx.url() });
  const [ev] = await deps.db.transaction((tx) =>
    appendEvent(tx, deps, { type: 'sandbox.failed', sandboxId: 's-kill', reason: 'container_exited', actor: 'test' }),
  );

  const first = await startDispatcher();
  await firstArrived;
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const [mid] = await deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, ev!.id));
  expect(mid).toMatchObject({ status: 'delivering', attempts: 0 }); // claimed, never settled

  const killedAt = Date.now();
  await startDispatcher();
  await waitFor(() => rx.all.length >= 2, 30_000, 50);
  const redeliveredAfterMs = Date.now() - killedAt;
  await rx.close();

  expect(rx.all.map((r) => r.headers['webhook-id'])).toEqual([ev!.id, ev!.id]); // same id both times
  const last = rx.all[1]!;
  expect(() => new Webhook(ep.secret).verify(last.body, last.headers as Record<string, string>)).not.toThrow();
  await waitFor(async () => {
    const [d] = await deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, ev!.id));
    return d?.status === 'succeeded';
  });
  const [d] = await deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, ev!.id));
  expect(d).toMatchObject({ attempts: 1, lastStatusCode: 204, leaseOwner: null });
  expect(await deps.db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, d!.id))).toHaveLength(1);
  // the lease is request timeout + 5 s: the restart waits that long, not longer
  expect(redeliveredAfterMs).toBeLessThan(15_000);
  console.log('sigkill report', JSON.stringify({ receipts: rx.all.length, duplicates: rx.all.length - 1, redeliveredAfterMs }));
});
