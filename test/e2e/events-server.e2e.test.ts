import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTestDb, type TestDb } from '../helpers/db.js';
import { removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';
import { openSse } from '../helpers/sse-client.js';
import { startReceiver, waitFor } from '../helpers/webhook-fixtures.js';

// Webhooks and the event stream from the real server: a sandbox's life reaches a webhook receiver
// (verified with the npm standardwebhooks library) and an SSE client; a delivery cut off by SIGKILL is
// delivered after the restart.
const SECRET_KEY = 'a'.repeat(64);
let db: TestDb;
let server: ServerProc;
let instanceId = '';
const env = { BERTH_WEBHOOK_ALLOW_PRIVATE: 'yes', BERTH_SECRET_KEY: SECRET_KEY };

beforeAll(async () => {
  db = await createPostgresTestDb({ migrate: false });
  server = await startServer({ databaseUrl: db.url, env });
  instanceId = server.instanceId;
});
afterAll(async () => {
  await server?.kill();
  await removeInstanceContainers(instanceId);
  await db?.drop();
});

const createSandbox = async () =>
  (await (
    await server.api('/v1/sandboxes', {
      method: 'POST',
      body: JSON.stringify({ image: { uri: 'berth-base:latest' }, entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: {}, timeout: 600 }),
    })
  ).json()) as { id: string };

describe('events from the real server', () => {
  it("delivers a sandbox's life to a webhook (signed) and to an SSE client, in order", async () => {
    const receiver = await startReceiver();
    const hook = (await (await server.api('/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: receiver.url(), eventTypes: [] }) })).json()) as {
      id: string;
      secret: string;
    };
    expect(hook.secret).toMatch(/^whsec_/);
    const sse = await openSse(`${server.url}/v1/events?api_key=${encodeURIComponent(server.headers['OPEN-SANDBOX-API-KEY']!)}`);

    const { id } = await createSandbox();
    await server.api(`/v1/sandboxes/${id}/pause`, { method: 'POST' });
    await server.api(`/v1/sandboxes/${id}/resume`, { method: 'POST' });
    expect((await server.api(`/v1/sandboxes/${id}`, { method: 'DELETE' })).status).toBe(204);

    const want = ['sandbox.created', 'sandbox.running', 'sandbox.paused', 'sandbox.resumed', 'sandbox.deleted'];
    const typesFor = (bodies: string[]) =>
      bodies
        .map((b) => JSON.parse(b))
        .filter((e) => (e.data?.sandboxId ?? e.sandboxId) === id)
        .map((e) => e.type);
    await waitFor(() => typesFor(receiver.delivered.map((r) => r.body)).length >= want.length, 20_000);
    expect(typesFor(receiver.delivered.map((r) => r.body))).toEqual(want);
    const wh = new Webhook(hook.secret);
    for (const r of receiver.delivered) {
      expect(() => wh.verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    }
    await waitFor(() => typesFor(sse.messages.map((m) => m.data)).length >= want.length, 20_000);
    expect(typesFor(sse.messages.map((m) => m.data))).toEqual(want);
    sse.close();
    await server.api(`/v1/webhooks/${hook.id}`, { method: 'DELETE' });
    await receiver.close();
  });

  it('delivers after a restart an event whose delivery was cut off by SIGKILL', async () => {
    let hold = true;
    const receiver = await startReceiver(async () => {
      // The first request never gets an answer while the server is alive.
      while (hold) await new Promise((r) => setTimeout(r, 50));
      return 204;
    });
    await server.api('/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: receiver.url(), eventTypes: ['sandbox.created'] }) });
    const { id } = await createSandbox();
    await waitFor(() => receiver.all.length >= 1, 20_000);
    await server.kill('SIGKILL');
    hold = false;
    const firstId = receiver.all[0]!.headers['webhook-id'];
    server = await startServer({ databaseUrl: db.url, env });
    await waitFor(() => receiver.delivered.some((r) => r.headers['webhook-id'] === firstId && JSON.parse(r.body).data.sandboxId === id), 60_000);
    await receiver.close();
  });

  it('with two server processes on one database, every event reaches the endpoint (duplicates counted)', async () => {
    const second = await startServer({ databaseUrl: db.url, env });
    try {
      const receiver = await startReceiver();
      const hook = (await (
        await server.api('/v1/webhooks', {
          method: 'POST',
          body: JSON.stringify({ url: receiver.url(), eventTypes: ['sandbox.created', 'sandbox.running', 'sandbox.deleted'] }),
        })
      ).json()) as { id: string };
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const via = i % 2 === 0 ? server : second;
        const r = await via.api('/v1/sandboxes', {
          method: 'POST',
          body: JSON.stringify({ image: { uri: 'berth-base:latest' }, entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: {}, timeout: 600 }),
        });
        const { id } = (await r.json()) as { id: string };
        ids.push(id);
        expect((await via.api(`/v1/sandboxes/${id}`, { method: 'DELETE' })).status).toBe(204);
      }
      const mine = () => receiver.delivered.filter((d) => ids.includes(JSON.parse(d.body).data.sandboxId));
      await waitFor(() => new Set(mine().map((d) => d.headers['webhook-id'])).size >= ids.length * 3, 30_000);
      const perEvent = new Map<string, number>();
      for (const d of mine()) perEvent.set(String(d.headers['webhook-id']), (perEvent.get(String(d.headers['webhook-id'])) ?? 0) + 1);
      const duplicates = [...perEvent.values()].reduce((n, c) => n + c - 1, 0);
      console.log(`two processes: ${perEvent.size} events delivered, ${duplicates} duplicate receipts`);
      expect(perEvent.size).toBe(ids.length * 3);
      for (const id of ids) {
        const types = mine()
          .filter((d) => JSON.parse(d.body).data.sandboxId === id)
          .map((d) => JSON.parse(d.body).type);
        expect(new Set(types)).toEqual(new Set(['sandbox.created', 'sandbox.running', 'sandbox.deleted']));
      }
      await server.api(`/v1/webhooks/${hook.id}`, { method: 'DELETE' });
      await receiver.close();
    } finally {
      await second.kill();
    }
  });
});
