import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTestDb, type TestDb } from '../helpers/db.js';
import { POOL_TEMPLATE } from '../helpers/pools.js';
import { containersOf, removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';

// Two real server processes over one Postgres database and one engine, each running its own filler loop:
// together they keep exactly idleTarget idle sandboxes, and concurrent creates through both never get one
// container twice.

type Json = Record<string, any>;

describe('warm pools across two server processes', () => {
  let db: TestDb;
  let a: ServerProc;
  let b: ServerProc;
  beforeAll(async () => {
    db = await createPostgresTestDb({ migrate: false });
    a = await startServer({ databaseUrl: db.url, env: { BERTH_POOL_INTERVAL_MS: '200' } });
    b = await startServer({ databaseUrl: db.url, env: { BERTH_POOL_INTERVAL_MS: '200' } });
  });
  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    if (a) await removeInstanceContainers(a.instanceId);
    await db?.drop();
  });

  const pool = async (s: ServerProc) => (await (await s.api('/v1/pools/duo')).json()) as Json;
  const poolContainers = async () => (await containersOf(a.instanceId)).filter((c) => c.Labels['berth.pool'] === 'duo');

  it('keeps idleTarget idle sandboxes between both fillers and answers concurrent creates from both without sharing one', async () => {
    expect(a.instanceId).toBe(b.instanceId);
    const res = await a.api('/v1/pools', { method: 'POST', body: JSON.stringify({ name: 'duo', template: POOL_TEMPLATE, idleTarget: 3 }) });
    expect(res.status, await res.clone().text()).toBe(201);
    await waitUntil('three idle slots', async () => (await pool(b)).status.idle === 3, 60_000);
    // each filler reports its count after its own pass: once both say 3, both have run with the pool full
    const reportsThree = async (s: ServerProc) => /berth_pool_idle_sandboxes\{pool="duo"\} 3\b/.test(await (await s.api('/metrics')).text());
    await waitUntil('both fillers counted three', async () => (await reportsThree(a)) && (await reportsThree(b)), 60_000);
    expect((await pool(a)).status).toEqual({ idle: 3, starting: 0, claiming: 0 });
    expect(await poolContainers()).toHaveLength(3);
    const idleIds = new Set((await poolContainers()).map((c) => c.Labels['berth.sandbox-id']));

    const creates = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).api('/v1/sandboxes', { method: 'POST', body: JSON.stringify({ extensions: { poolRef: 'duo' }, timeout: 600 }) }),
      ),
    );
    const ids: string[] = [];
    for (const r of creates) {
      const body = (await r.json()) as Json;
      expect(r.status, JSON.stringify(body)).toBe(202);
      expect(body.status.state).toBe('Running');
      ids.push(body.id);
    }
    expect(new Set(ids).size).toBe(6);
    const hits = ids.filter((id) => idleIds.has(id));
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThanOrEqual(3);
    // one container per sandbox: the engine's own view, by the sandbox-id label
    const all = await containersOf(a.instanceId);
    for (const id of ids) expect(all.filter((c) => c.Labels['berth.sandbox-id'] === id && c.State === 'running')).toHaveLength(1);
    await waitUntil('the pool refilled', async () => (await pool(a)).status.idle === 3, 60_000);
  });
});
