import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTestDb, type TestDb } from '../helpers/db.js';
import { containersOf, removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';

// Renewals and expiries live in Postgres: a SIGKILLed server comes back with every renewal intact,
// reaps nothing early, loses nothing, and still reaps what is really due.
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let db: TestDb;
let server: ServerProc;
let instanceId = '';

const create = (timeout?: number) =>
  server
    .api('/v1/sandboxes', {
      method: 'POST',
      body: JSON.stringify({
        image: { uri: 'berth-base:latest' },
        entrypoint: ['tail', '-f', '/dev/null'],
        resourceLimits: {},
        ...(timeout ? { timeout } : {}),
      }),
    })
    .then((r) => r.json() as Promise<{ id: string; expiresAt?: string; createdAt: string }>);

beforeAll(async () => {
  db = await createPostgresTestDb({ migrate: false });
  server = await startServer({ databaseUrl: db.url });
  instanceId = server.instanceId;
});
afterAll(async () => {
  await server?.kill();
  await removeInstanceContainers(instanceId);
  await db?.drop();
});

describe('restart after SIGKILL', () => {
  it('keeps renewed expiries, reaps nothing early, loses nothing, and reaps what is due', async () => {
    const renewed = await create(60);
    const manual = await create();
    const due = await create(60);
    const renewTo = new Date(Date.now() + 3_600_000).toISOString();
    const r = await server.api(`/v1/sandboxes/${renewed.id}/renew-expiration`, { method: 'POST', body: JSON.stringify({ expiresAt: renewTo }) });
    expect(r.status).toBe(200);

    await server.kill('SIGKILL');
    // The containers keep running while no server is up.
    expect((await containersOf(instanceId)).filter((c) => c.State === 'running')).toHaveLength(3);

    server = await startServer({ databaseUrl: db.url });
    expect(server.instanceId).toBe(instanceId); // the identity lives in the database

    const list = (await (await server.api('/v1/sandboxes')).json()) as { items: Array<{ id: string; expiresAt?: string; status: { state: string } }> };
    const byId = new Map(list.items.map((s) => [s.id, s]));
    expect(new Set(byId.keys())).toEqual(new Set([renewed.id, manual.id, due.id]));
    expect(byId.get(renewed.id)?.expiresAt).toBe(renewTo);
    expect(byId.get(manual.id)?.expiresAt).toBeUndefined();
    for (const s of list.items) expect(s.status.state).toBe('Running');

    // Wait past the creation-time expiry (60 s): only the un-renewed one goes.
    const dueAt = new Date(due.expiresAt!).getTime();
    await new Promise((res) => setTimeout(res, Math.max(0, dueAt - Date.now()) + 3000));
    expect((await server.api(`/v1/sandboxes/${due.id}`)).status).toBe(404);
    expect((await server.api(`/v1/sandboxes/${renewed.id}`)).status).toBe(200);
    expect((await server.api(`/v1/sandboxes/${manual.id}`)).status).toBe(200);
    const running = (await containersOf(instanceId)).map((c) => c.Labels['berth.sandbox-id']);
    expect(running.sort()).toEqual([renewed.id, manual.id].sort());
    const renewedContainer = (await containersOf(instanceId)).find((c) => c.Labels['berth.sandbox-id'] === renewed.id)!;
    expect((await docker.getContainer(renewedContainer.Id).inspect()).State.Running).toBe(true);
  });

  it("removes an orphan container of its own at boot and keeps other deployments' containers", async () => {
    // A container labelled as ours whose sandbox has no row (as after a crash between a failed create's
    // container removal and its row deletion), and a foreign container with another instance id.
    const mk = (labels: Record<string, string>) =>
      docker.createContainer({ Image: 'berth-base:latest', Cmd: ['tail', '-f', '/dev/null'], Labels: labels }).then(async (c) => (await c.start(), c));
    const orphan = await mk({ 'berth.managed': 'true', 'berth.instance': instanceId, 'berth.sandbox-id': 'no-such-sandbox' });
    const foreign = await mk({ 'berth.managed': 'true', 'berth.instance': 'someone-else', 'berth.sandbox-id': 'x' });
    try {
      await server.kill('SIGKILL');
      server = await startServer({ databaseUrl: db.url });
      await expect(orphan.inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await foreign.inspect()).State.Running).toBe(true);
    } finally {
      await foreign.remove({ force: true }).catch(() => {});
      await orphan.remove({ force: true }).catch(() => {});
    }
  });
});
