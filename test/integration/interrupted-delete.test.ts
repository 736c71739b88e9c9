import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeRuntime } from '../../src/adapters/docker/dockerode-runtime.js';
import { openDb, type DbHandle } from '../../src/adapters/postgres/client.js';
import { createApp } from '../../src/app.js';
import { composeDeps } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { sandboxes } from '../../src/db/schema/index.js';
import type { Deps } from '../../src/domain/deps.js';
import { reapOnce } from '../../src/domain/expiry/reap-once.js';
import { noVolumes } from '../../src/domain/volumes/port.js';
import { RecordingLogger } from '../fakes/recording-logger.js';
import { createBody, TEST_API_KEY } from '../helpers/app.js';
import { createPostgresTestDb, type TestDb } from '../helpers/db.js';
import { removeInstanceContainers } from '../helpers/server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

// A delete cut off by a database outage after its container is gone: the row stays Stopping, leased to this
// (live) process for 5 minutes. When the database answers again, the owner's next reaper pass finishes it
// at once. Real Postgres behind a TCP proxy the test cuts (the outage), the real Docker engine.

const run = randomBytes(3).toString('hex');
const instanceId = `it-interrupted-${run}`;
let t: TestDb;
let proxy: TcpProxy;
let berthDb: DbHandle;
let deps: Deps;
let call: (method: string, path: string, body?: unknown) => Promise<Response>;
let cutAfterRemove = false;

beforeAll(async () => {
  t = await createPostgresTestDb();
  const url = new URL(t.url);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(proxy.port);
  berthDb = await openDb({ databaseUrl: url.toString(), poolSize: 4 });
  const log = new RecordingLogger();
  const real = new DockerodeRuntime(new Docker({ socketPath: '/var/run/docker.sock' }), log);
  // The outage begins the moment the engine has removed the container, before the delete's last commit.
  const runtime = Object.assign(Object.create(real) as DockerodeRuntime, {
    remove: async (containerId: string) => {
      await real.remove(containerId);
      if (cutAfterRemove) await proxy.cut();
    },
  });
  const config = loadConfig({ BERTH_API_KEY: TEST_API_KEY, BERTH_PUBLIC_HOST: '127.0.0.1', BERTH_SECRET_KEY: '07'.repeat(32) }, 'test-host');
  deps = composeDeps({ db: berthDb.db, runtime, log, config, volumes: noVolumes, instanceId, processId: `test-host:${process.pid}:it-${run}` });
  const app = createApp(deps);
  call = async (method, path, body) =>
    app.request(path, {
      method,
      headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
});

afterAll(async () => {
  await removeInstanceContainers(instanceId);
  await berthDb?.close().catch(() => {});
  await proxy?.close();
  await t?.drop();
});

describe('a delete interrupted by a database outage', () => {
  it('answers 503, and the owner finishes it on its first reaper pass once the database is back', async () => {
    const created = await call('POST', '/v1/sandboxes', createBody());
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };

    cutAfterRemove = true;
    const del = await call('DELETE', `/v1/sandboxes/${id}`);
    cutAfterRemove = false;
    expect(del.status).toBe(503);
    expect(await del.json()).toMatchObject({ code: 'DATABASE::UNAVAILABLE' });

    // Seen directly (not through the proxy): Stopping, leased to this live process for minutes; no container.
    const [row] = await t.handle.db.select().from(sandboxes).where(eq(sandboxes.id, id));
    expect(row).toMatchObject({ state: 'Stopping', leaseOwner: deps.processId, deletedAt: null });
    expect(row!.leaseUntil!.getTime()).toBeGreaterThan(Date.now() + 60_000);
    expect(await deps.runtime.listOwned(instanceId)).toEqual([]);

    // While the database is down the reaper fails and changes nothing; once it is back, one pass finishes.
    await expect(reapOnce(deps)).rejects.toThrow();
    await proxy.restore();
    const pass = await reapOnce(deps);
    expect(pass.resumedDeletes).toBe(1);
    const [after] = await t.handle.db.select().from(sandboxes).where(eq(sandboxes.id, id));
    expect(after).toMatchObject({ state: 'Terminated', reason: 'user_delete', leaseOwner: null });
    expect(after!.deletedAt).not.toBeNull();
    expect((await call('GET', `/v1/sandboxes/${id}`)).status).toBe(404);
  });

  it('a delete in progress in this process is left alone by the reaper', async () => {
    const created = await call('POST', '/v1/sandboxes', createBody());
    const { id } = (await created.json()) as { id: string };
    deps.inFlight.add(id); // as deleteSandbox does for its whole run
    try {
      await t.handle.db
        .update(sandboxes)
        .set({ state: 'Stopping', leaseOwner: deps.processId, leaseUntil: new Date(Date.now() + 300_000) })
        .where(eq(sandboxes.id, id));
      expect((await reapOnce(deps)).resumedDeletes).toBe(0);
    } finally {
      deps.inFlight.delete(id);
    }
    expect((await reapOnce(deps)).resumedDeletes).toBe(1);
  });
});
