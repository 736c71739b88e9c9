import { Sandbox, type ConnectionConfigOptions } from '@alibaba-group/opensandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersOf, removeInstanceContainers, startServer, TEST_API_KEY, type ServerProc } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';

// The official SDK (0.1.11) against a real server with a warm pool: Sandbox.create() as an agent platform calls
// it (its own defaults: env {}, metadata, timeout 600, secureAccess false, resourceRequests) is answered from
// the pool implicitly, and with extensions.poolRef and other limits; the sandbox then runs commands through execd.

type Json = Record<string, any>;
const TEMPLATE = { image: { uri: 'berth-base:latest' }, entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: { cpu: '500m', memory: '128Mi' } };

describe('warm pools through the official SDK', () => {
  let server: ServerProc;
  let conn: ConnectionConfigOptions;
  beforeAll(async () => {
    server = await startServer({ env: { BERTH_POOL_INTERVAL_MS: '200' } });
    conn = { domain: server.url, apiKey: TEST_API_KEY, requestTimeoutSeconds: 60 };
  });
  afterAll(async () => {
    await server?.kill();
    if (server) await removeInstanceContainers(server.instanceId);
  });

  const idleIds = async () =>
    new Set((await containersOf(server.instanceId)).filter((c) => c.Labels['berth.pool'] === 'sdk').map((c) => c.Labels['berth.sandbox-id']!));

  it('answers Sandbox.create from the pool, implicitly and with poolRef, and the sandbox runs commands', async () => {
    const res = await server.api('/v1/pools', { method: 'POST', body: JSON.stringify({ name: 'sdk', template: TEMPLATE, idleTarget: 2 }) });
    expect(res.status, await res.clone().text()).toBe(201);
    const full = async () => ((await (await server.api('/v1/pools/sdk')).json()) as Json).status.idle === 2;
    await waitUntil('two idle', full, 60_000);
    const before = await idleIds();

    const implicit = await Sandbox.create({
      connectionConfig: conn,
      image: TEMPLATE.image.uri,
      entrypoint: TEMPLATE.entrypoint,
      resource: TEMPLATE.resourceLimits,
    });
    const named = await Sandbox.create({
      connectionConfig: conn,
      image: TEMPLATE.image.uri,
      entrypoint: TEMPLATE.entrypoint,
      resource: { cpu: '1', memory: '256Mi' },
      extensions: { poolRef: 'sdk' },
      metadata: { via: 'poolRef' },
    });
    try {
      expect(before.has(implicit.id)).toBe(true);
      expect(before.has(named.id)).toBe(true);
      expect((await named.getInfo()).metadata).toEqual({ via: 'poolRef' });
      const run = await named.commands.run('echo pooled');
      expect(run.logs.stdout.map((m) => m.text)).toEqual(['pooled']);
      expect(run.exitCode).toBe(0);
    } finally {
      await implicit.kill();
      await named.kill();
    }
    await waitUntil('refilled', full, 60_000);
  });
});
