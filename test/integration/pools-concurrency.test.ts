import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { isNotNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type DbHandle } from '../../src/adapters/postgres/client.js';
import { DockerodeRuntime } from '../../src/adapters/docker/dockerode-runtime.js';
import { createApp } from '../../src/app.js';
import { composeDeps } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { sandboxes } from '../../src/db/schema/index.js';
import type { Deps } from '../../src/domain/deps.js';
import { fillPoolsOnce } from '../../src/domain/pools/fill-pools.js';
import { noVolumes } from '../../src/domain/volumes/port.js';
import { RecordingLogger } from '../fakes/recording-logger.js';
import { TEST_API_KEY } from '../helpers/app.js';
import { createPostgresTestDb, type TestDb } from '../helpers/db.js';
import { idle, POOL_TEMPLATE, slotsOf } from '../helpers/pools.js';
import { removeInstanceContainers } from '../helpers/server.js';

// Two berths (own connection pools, own process ids) over one Postgres database and one engine: fillers
// racing never overshoot idleTarget, and concurrent claims through both never hand one slot out twice.
// Postgres only: PGlite is one process's embedded database. With two real server processes:
// test/e2e/pools-servers.e2e.test.ts.

type Json = Record<string, any>;

describe('warm pools: two berths over one Postgres', () => {
  let testDb: TestDb;
  let second: DbHandle;
  const instanceId = `pools-race-${randomBytes(4).toString('hex')}`;
  const apps: Array<{ deps: Deps; call: (path: string, body?: unknown) => Promise<Response> }> = [];

  beforeAll(async () => {
    testDb = await createPostgresTestDb();
    second = await openDb({ databaseUrl: testDb.url, poolSize: 10 });
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    const config = loadConfig({ BERTH_API_KEY: TEST_API_KEY, BERTH_PUBLIC_HOST: '127.0.0.1', BERTH_SECRET_KEY: '07'.repeat(32) }, 'test-host');
    for (const [i, db] of [testDb.handle.db, second.db].entries()) {
      const log = new RecordingLogger();
      const deps = composeDeps({
        db,
        runtime: new DockerodeRuntime(docker, log),
        log,
        config,
        volumes: noVolumes,
        instanceId,
        processId: `test-host:${process.pid}:berth${i}`,
      });
      const app = createApp(deps);
      apps.push({
        deps,
        call: async (path, body) =>
          app.request(path, {
            method: body === undefined ? 'GET' : 'POST',
            headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, 'content-type': 'application/json' },
            ...(body !== undefined && { body: JSON.stringify(body) }),
          }),
      });
    }
  });
  afterAll(async () => {
    await removeInstanceContainers(instanceId);
    await second?.close();
    await testDb?.drop();
  });

  it('two fillers at once start exactly idleTarget slots', async () => {
    const res = await apps[0]!.call('/v1/pools', { name: 'race', template: POOL_TEMPLATE, idleTarget: 3 });
    expect(res.status, await res.clone().text()).toBe(201);
    const [a, b] = await Promise.all(apps.map((x) => fillPoolsOnce(x.deps)));
    expect(a!.started + b!.started).toBe(3);
    expect(idle(await slotsOf(apps[0]!.deps, 'race'))).toHaveLength(3);
  });

  it('eight concurrent creates through both never claim one slot twice; the rest are cold creates', async () => {
    const slotIds = new Set(idle(await slotsOf(apps[0]!.deps, 'race')).map((s) => s.id));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => apps[i % 2]!.call('/v1/sandboxes', { extensions: { poolRef: 'race' }, timeout: 600 })),
    );
    const bodies = (await Promise.all(results.map(async (r) => ({ status: r.status, body: (await r.json()) as Json })))).map((r) => {
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      expect(r.body.status.state).toBe('Running');
      return r.body;
    });
    const ids = bodies.map((b) => b.id as string);
    expect(new Set(ids).size).toBe(8);
    const hits = ids.filter((id) => slotIds.has(id));
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThanOrEqual(3);
    const rows = await apps[1]!.deps.db
      .select({ id: sandboxes.id, containerId: sandboxes.containerId, pool: sandboxes.poolName })
      .from(sandboxes)
      .where(isNotNull(sandboxes.containerId));
    expect(new Set(rows.map((r) => r.containerId)).size).toBe(rows.length);
    expect(
      rows
        .filter((r) => r.pool === 'race')
        .map((r) => r.id)
        .sort(),
    ).toEqual(hits.sort());
    // what was claimed is gone from the pool; the filler tops it up again
    const left = idle(await slotsOf(apps[0]!.deps, 'race'));
    expect(left.every((s) => !ids.includes(s.id))).toBe(true);
    await Promise.all(apps.map((x) => fillPoolsOnce(x.deps)));
    expect(idle(await slotsOf(apps[0]!.deps, 'race'))).toHaveLength(3);
  });
});
