import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTestDb, type TestDb } from '../helpers/db.js';
import { POOL_TEMPLATE } from '../helpers/pools.js';
import { containersOf, removeInstanceContainers, startServer, type ServerProc } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';

// A real server SIGKILLed while its filler is starting slots, and again with claims in flight: the next
// process takes the dead process's starting and claiming slots back, removes what they left, and every pool
// container is afterwards either an idle slot or a live sandbox.

type Json = Record<string, any>;
const ENV = { BERTH_POOL_INTERVAL_MS: '200' };

describe('warm pools after a crash', () => {
  let db: TestDb;
  let server: ServerProc;
  let instanceId = '';
  beforeAll(async () => {
    db = await createPostgresTestDb({ migrate: false });
    server = await startServer({ databaseUrl: db.url, env: ENV });
    instanceId = server.instanceId;
  });
  afterAll(async () => {
    await server?.kill();
    if (instanceId) await removeInstanceContainers(instanceId);
    await db?.drop();
  });

  const pool = async () => (await (await server.api('/v1/pools/crash')).json()) as Json;
  /** pool containers that are neither an idle slot nor a live sandbox: must end at zero */
  const unaccounted = async () => {
    const running = (await containersOf(instanceId)).filter((c) => c.Labels['berth.pool'] === 'crash');
    const listed = (await (await server.api('/v1/sandboxes?pageSize=200')).json()) as Json;
    const live = new Set<string>(listed.items.map((i: Json) => i.id));
    const claimed = running.filter((c) => live.has(c.Labels['berth.sandbox-id']!)).length;
    return { containers: running.length, claimed, idle: (await pool()).status.idle as number };
  };
  const settled = async (idle: number) => {
    await waitUntil(
      'the pool converged',
      async () => {
        const p = await pool();
        const u = await unaccounted();
        return p.status.idle === idle && p.status.starting === 0 && p.status.claiming === 0 && u.containers === u.idle + u.claimed;
      },
      90_000,
    );
  };

  it('takes back the slots of a filler killed mid-start', async () => {
    const res = await server.api('/v1/pools', { method: 'POST', body: JSON.stringify({ name: 'crash', template: POOL_TEMPLATE, idleTarget: 4 }) });
    expect(res.status, await res.clone().text()).toBe(201);
    await waitUntil('a slot starting', async () => (await pool()).status.starting > 0, 30_000, 10);
    await server.kill('SIGKILL');
    server = await startServer({ databaseUrl: db.url, env: ENV });
    await settled(4);
  });

  it('takes back the slots of claims in flight when the server was killed', async () => {
    const inFlight = Array.from({ length: 4 }, () =>
      server.api('/v1/sandboxes', { method: 'POST', body: JSON.stringify({ extensions: { poolRef: 'crash' }, timeout: 600 }) }).catch(() => null),
    );
    await new Promise((r) => setTimeout(r, 15));
    await server.kill('SIGKILL');
    await Promise.all(inFlight);
    server = await startServer({ databaseUrl: db.url, env: ENV });
    await settled(4);
    const u = await unaccounted();
    expect(u.containers).toBe(4 + u.claimed);
  });
});
