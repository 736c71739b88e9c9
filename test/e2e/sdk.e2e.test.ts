import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConnectionConfig,
  Sandbox,
  SandboxApiException,
  SandboxManager,
  SandboxReadyTimeoutException,
  type ConnectionConfigOptions,
} from '@alibaba-group/opensandbox';
import { createLifecycleClient, type LifecycleClient } from '@alibaba-group/opensandbox/internal';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersOf, removeInstanceContainers, startServer, TEST_API_KEY, type ServerProc } from '../helpers/server.js';

// The official OpenSandbox TypeScript SDK (0.1.11) as the only client of a real server process on the
// embedded database and the real Docker engine. What a user of the SDK sees is what is asserted.
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const IMAGE = 'berth-base:latest';
// Every sandbox here carries this metadata, so the list assertions never see another test's sandboxes.
const RUN = `sdk-${randomBytes(4).toString('hex')}`;

let server: ServerProc;
const dataDir = mkdtempSync(join(tmpdir(), 'berth-e2e-sdk-'));
let conn: ConnectionConfigOptions;
let manager: SandboxManager;
let raw: LifecycleClient;

/**
 * `skipHealthCheck: true` on most creates, to keep them fast: without it Sandbox.create polls
 * `GET http://<endpoint of 44772>/ping` (berth's own execd, see the "health check" tests below) until it
 * answers 2xx. Readiness of the lifecycle API is the 202 + Running answer itself.
 */
const createSandbox = (extra: Partial<Parameters<typeof Sandbox.create>[0]> = {}) =>
  Sandbox.create({
    connectionConfig: conn,
    image: IMAGE,
    entrypoint: ['tail', '-f', '/dev/null'],
    timeoutSeconds: 600,
    resource: { cpu: '500m', memory: '128Mi' },
    skipHealthCheck: true,
    ...extra,
    metadata: { run: RUN, ...extra.metadata },
  });

/** Awaits a rejection and checks it is the SDK's API exception with the server's status and code. */
async function apiError(p: Promise<unknown>, status: number, code?: string): Promise<SandboxApiException> {
  const err = await p.then(
    () => {
      throw new Error(`expected a ${status} rejection, got success`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SandboxApiException);
  const e = err as SandboxApiException;
  expect(e.statusCode, e.message).toBe(status);
  if (code) expect(e.error.code).toBe(code);
  expect(typeof e.error.message).toBe('string');
  return e;
}

const containerOf = async (id: string) => (await containersOf(server.instanceId)).find((c) => c.Labels['berth.sandbox-id'] === id);

beforeAll(async () => {
  server = await startServer({ dataDir });
  conn = { domain: server.url, apiKey: TEST_API_KEY, requestTimeoutSeconds: 60 };
  manager = SandboxManager.create({ connectionConfig: conn });
  raw = createLifecycleClient({ baseUrl: new ConnectionConfig(conn).getBaseUrl(), apiKey: TEST_API_KEY });
});
afterAll(async () => {
  await manager?.close();
  await server?.kill();
  if (server) await removeInstanceContainers(server.instanceId);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the official SDK against a real server', () => {
  it('creates, reads, lists, patches, pauses, resumes, renews, resolves endpoints and kills', async () => {
    const sbx = await createSandbox({ metadata: { team: 'alpha' }, env: { GREETING: 'hi' } });
    const other = await createSandbox({ metadata: { team: 'beta' } });
    try {
      expect(sbx.id).toMatch(/^[0-9a-f-]{36}$/);
      const info = await sbx.getInfo();
      expect(info.status.state).toBe('Running');
      expect(info.createdAt).toBeInstanceOf(Date);
      expect(info.expiresAt!.getTime() - info.createdAt.getTime()).toBe(600_000);
      expect(info.image).toEqual({ uri: IMAGE });
      expect(info.entrypoint).toEqual(['tail', '-f', '/dev/null']);
      expect(info.metadata).toEqual({ run: RUN, team: 'alpha' });

      // The SDK's defaults and options reach Docker.
      const c = await containerOf(sbx.id);
      const inspect = await docker.getContainer(c!.Id).inspect();
      expect(inspect.State.Running).toBe(true);
      expect(inspect.HostConfig.Memory).toBe(128 * 2 ** 20);
      expect(inspect.HostConfig.NanoCpus).toBe(5e8);
      expect(inspect.Config.Env).toContain('GREETING=hi');

      // List: the SDK's repeated `state` and its single encoded `metadata=k=v&k2=v2` filter.
      const alpha = await manager.listSandboxInfos({ states: ['Running'], metadata: { run: RUN, team: 'alpha' } });
      expect(alpha.items.map((s) => s.id)).toEqual([sbx.id]);
      expect(alpha.items[0]!.createdAt).toBeInstanceOf(Date);
      expect(alpha.pagination).toEqual({ page: 1, pageSize: 20, totalItems: 1, totalPages: 1, hasNextPage: false });
      const both = await manager.listSandboxInfos({ metadata: { run: RUN }, pageSize: 1, page: 2 });
      // Newest first: page 2 of size 1 is the first one created.
      expect(both.items.map((s) => s.id)).toEqual([sbx.id]);
      expect(both.pagination).toMatchObject({ page: 2, pageSize: 1, totalItems: 2, totalPages: 2, hasNextPage: false });

      // Merge patch: null removes, a value sets; the full sandbox comes back.
      const patched = await manager.patchSandboxMetadata(sbx.id, { team: null, owner: 'bob' });
      expect(patched.metadata).toEqual({ run: RUN, owner: 'bob' });
      expect(patched.createdAt.getTime()).toBe(info.createdAt.getTime());
      expect((await sbx.patchMetadata({ owner: 'carol' })).metadata).toEqual({ run: RUN, owner: 'carol' });
      await apiError(manager.patchSandboxMetadata(sbx.id, { 'opensandbox.io/x': 'y' }), 400);
      expect((await sbx.getInfo()).metadata).toEqual({ run: RUN, owner: 'carol' });

      // pause() resolving at all proves Content-Length: 0 on the 202: openapi-fetch otherwise parses the
      // empty body as JSON and the SDK throws "Unexpected end of JSON input".
      await sbx.pause();
      expect((await sbx.getInfo()).status.state).toBe('Paused');
      expect((await docker.getContainer(c!.Id).inspect()).State.Paused).toBe(true);
      await apiError(manager.pauseSandbox(sbx.id), 409, 'DOCKER::SANDBOX_NOT_RUNNING');
      const paused = await manager.listSandboxInfos({ states: ['Paused'], metadata: { run: RUN } });
      expect(paused.items.map((s) => s.id)).toEqual([sbx.id]);
      const running = await manager.listSandboxInfos({ states: ['Running'], metadata: { run: RUN } });
      expect(running.items.map((s) => s.id)).toEqual([other.id]);

      // resume() resumes and then reconnects (endpoint lookups for 44772 and 18080).
      const resumed = await sbx.resume({ skipHealthCheck: true });
      expect(resumed.id).toBe(sbx.id);
      expect((await resumed.getInfo()).status.state).toBe('Running');
      expect((await docker.getContainer(c!.Id).inspect()).State.Paused).toBe(false);
      await apiError(manager.resumeSandbox(sbx.id), 409, 'DOCKER::SANDBOX_NOT_PAUSED');
      // `resumed` shares sbx's ConnectionConfig and transport, so it is not closed separately.

      // renew(seconds) sends now + seconds; the answer and a later read agree.
      const before = Date.now();
      const renewed = await sbx.renew(3600);
      expect(renewed.expiresAt).toBeInstanceOf(Date);
      expect(renewed.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
      expect(renewed.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1000);
      expect((await sbx.getInfo()).expiresAt!.getTime()).toBe(renewed.expiresAt!.getTime());
      await manager.renewSandbox(sbx.id, 1800);
      expect((await sbx.getInfo()).expiresAt!.getTime()).toBeLessThan(renewed.expiresAt!.getTime());

      // Endpoints: host:port without a scheme, the published host port Docker chose; execd (44772) is
      // berth itself, at the address the SDK reached it by.
      const ports = inspect.NetworkSettings.Ports;
      expect((await sbx.getEndpoint(8080)).endpoint).toBe(`127.0.0.1:${ports['8080/tcp']?.[0]?.HostPort}`);
      expect((await sbx.getEndpoint(44772)).endpoint).toBe(`127.0.0.1:${server.port}/sandboxes/${sbx.id}/proxy/44772`);
      expect(await sbx.getEndpointUrl(8080)).toBe(`http://127.0.0.1:${ports['8080/tcp']?.[0]?.HostPort}`);
      await apiError(sbx.getEndpoint(70000), 400);

      // connect() to an existing sandbox by id.
      const again = await Sandbox.connect({ connectionConfig: conn, sandboxId: other.id, skipHealthCheck: true });
      expect((await again.getInfo()).metadata).toEqual({ run: RUN, team: 'beta' });
      await again.close();

      await sbx.kill();
      expect(await containerOf(sbx.id)).toBeUndefined();
      const gone = await apiError(manager.getSandboxInfo(sbx.id), 404, 'DOCKER::SANDBOX_NOT_FOUND');
      expect(gone.requestId).toMatch(/^[0-9a-f]{32}$/);
      await apiError(manager.killSandbox(sbx.id), 404);
      await apiError(manager.pauseSandbox(sbx.id), 404);
      await apiError(sbx.renew(600), 404);
    } finally {
      await manager.killSandbox(other.id).catch(() => {});
      await sbx.close();
      await other.close();
    }
    expect(await containerOf(other.id)).toBeUndefined();
  });

  it('gives a manual-cleanup sandbox for timeoutSeconds: null, which cannot be renewed', async () => {
    const sbx = await createSandbox({ timeoutSeconds: null });
    try {
      const info = await sbx.getInfo();
      expect(info.expiresAt).toBeNull();
      expect(info.status.state).toBe('Running');
      await apiError(sbx.renew(600), 409, 'DOCKER::INVALID_EXPIRATION');
    } finally {
      await sbx.kill();
      await sbx.close();
    }
  });

  it("surfaces the server's 401 codes and creates nothing with a wrong key", async () => {
    const wrong = SandboxManager.create({ connectionConfig: { domain: server.url, apiKey: 'not-the-key' } });
    // An empty key is not sent at all by the SDK.
    const none = SandboxManager.create({ connectionConfig: { domain: server.url, apiKey: '' } });
    try {
      await apiError(wrong.listSandboxInfos(), 401, 'INVALID_API_KEY');
      await apiError(none.listSandboxInfos(), 401, 'MISSING_API_KEY');
      const before = (await containersOf(server.instanceId)).length;
      await apiError(
        Sandbox.create({ connectionConfig: { domain: server.url, apiKey: 'not-the-key' }, image: IMAGE, skipHealthCheck: true }),
        401,
        'INVALID_API_KEY',
      );
      expect((await containersOf(server.instanceId)).length).toBe(before);
    } finally {
      await wrong.close();
      await none.close();
    }
  });

  it('answers bad create input with a 400 the SDK surfaces with its code, leaving nothing behind', async () => {
    const before = (await containersOf(server.instanceId)).length;
    const e = await apiError(createSandbox({ timeoutSeconds: 30 }), 400);
    expect(e.error.code).not.toBe('UNEXPECTED_RESPONSE');
    await apiError(createSandbox({ metadata: { 'opensandbox.io/reserved': 'x' } }), 400);
    expect((await containersOf(server.instanceId)).length).toBe(before);
    expect((await manager.listSandboxInfos({ metadata: { run: RUN } })).items).toEqual([]);
  });

  it("echoes a client-chosen X-Request-ID into the SDK's exception", async () => {
    const traced = SandboxManager.create({ connectionConfig: { ...conn, headers: { 'X-Request-ID': 'sdk-trace-42' } } });
    try {
      const e = await apiError(traced.getSandboxInfo('00000000-0000-0000-0000-000000000000'), 404, 'DOCKER::SANDBOX_NOT_FOUND');
      expect(e.requestId).toBe('sdk-trace-42');
    } finally {
      await traced.close();
    }
  });

  it("passes the SDK's execd health check: /ping at the 44772 endpoint is berth's own", async () => {
    const sbx = await createSandbox({ skipHealthCheck: false, readyTimeoutSeconds: 10, healthCheckPollingInterval: 100 });
    try {
      expect(await sbx.isHealthy()).toBe(true);
    } finally {
      await sbx.kill();
      await sbx.close();
    }
  });

  it('deletes the sandbox itself when its execd health check fails (the container exits at once)', async () => {
    const err = await createSandbox({ entrypoint: ['true'], skipHealthCheck: false, readyTimeoutSeconds: 1, healthCheckPollingInterval: 100 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SandboxReadyTimeoutException);
    // The SDK's cleanup DELETE went through: no sandbox and no container remain.
    expect((await manager.listSandboxInfos({ metadata: { run: RUN } })).items).toEqual([]);
    expect(await containersOf(server.instanceId)).toEqual([]);
  });
});

describe("the SDK's raw lifecycle client (openapi-fetch)", () => {
  it('sees 202 with an empty body and Content-Length: 0 for pause/resume, 204 for delete and metrics', async () => {
    const created = await raw.POST('/sandboxes', {
      body: {
        image: { uri: IMAGE },
        entrypoint: ['tail', '-f', '/dev/null'],
        timeout: 120,
        metadata: { run: RUN, via: 'raw' },
        resourceLimits: { cpu: '250m', memory: '64Mi' },
        secureAccess: false,
      },
    });
    expect(created.response.status).toBe(202);
    expect(created.error).toBeUndefined();
    const id = created.data!.id;
    expect(created.data!.status.state).toBe('Running');
    expect(created.response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);

    const pause = await raw.POST('/sandboxes/{sandboxId}/pause', { params: { path: { sandboxId: id } } });
    expect(pause.response.status).toBe(202);
    expect(pause.response.headers.get('content-length')).toBe('0');
    expect(pause.data).toBeUndefined();
    expect(pause.error).toBeUndefined();
    const twice = await raw.POST('/sandboxes/{sandboxId}/pause', { params: { path: { sandboxId: id } } });
    expect(twice.response.status).toBe(409);
    expect(twice.error).toMatchObject({ code: 'DOCKER::SANDBOX_NOT_RUNNING', message: expect.any(String) });

    const resume = await raw.POST('/sandboxes/{sandboxId}/resume', { params: { path: { sandboxId: id } } });
    expect(resume.response.status).toBe(202);
    expect(resume.response.headers.get('content-length')).toBe('0');

    // The query exactly as openapi-fetch serializes it: state repeated (any case), metadata one encoded value.
    const list = await raw.GET('/sandboxes', { params: { query: { state: ['running', 'Paused'], metadata: `run=${RUN}&via=raw` } } });
    expect(list.response.status).toBe(200);
    expect(list.data!.items.map((s) => s.id)).toEqual([id]);

    const ep = await raw.GET('/sandboxes/{sandboxId}/endpoints/{port}', {
      params: { path: { sandboxId: id, port: 18080 }, query: { use_server_proxy: false } },
    });
    expect(ep.response.status).toBe(200);
    // not published: through berth's server proxy
    expect(ep.data!.endpoint).toBe(`127.0.0.1:${server.port}/sandboxes/${id}/proxy/18080`);

    // SDK 0.1.11 telemetry (fired by Sandbox.create) is accepted with 204.
    const metric = await raw.POST('/metrics/events', {
      body: { eventType: 'sandbox.create', sandboxId: id, image: IMAGE, createDurationMs: 123, success: true },
    });
    expect(metric.response.status).toBe(204);

    const del = await raw.DELETE('/sandboxes/{sandboxId}', { params: { path: { sandboxId: id } } });
    expect(del.response.status).toBe(204);
    const after = await raw.GET('/sandboxes/{sandboxId}', { params: { path: { sandboxId: id } } });
    expect(after.response.status).toBe(404);
    expect(after.error).toMatchObject({ code: 'DOCKER::SANDBOX_NOT_FOUND' });
    expect(await containerOf(id)).toBeUndefined();
  });
});

describe('snapshots through the SDK', () => {
  it('creates, polls, lists, restores from and deletes a snapshot', async () => {
    const src = await createSandbox({ metadata: { via: 'snapshot' } });
    let snapshotId: string | undefined;
    try {
      const snap = await manager.createSnapshot(src.id, { name: `sdk-${RUN}` });
      snapshotId = snap.id;
      expect(snap).toMatchObject({ sandboxId: src.id, name: `sdk-${RUN}`, status: { state: 'Creating' } });
      expect(snap.createdAt).toBeInstanceOf(Date);
      let info = snap;
      for (let i = 0; i < 300 && info.status.state === 'Creating'; i++) {
        await new Promise((r) => setTimeout(r, 200));
        info = await manager.getSnapshot(snap.id);
      }
      expect(info.status.state).toBe('Ready');
      expect(info.status.lastTransitionAt).toBeInstanceOf(Date);

      const listed = await manager.listSnapshots({ sandboxId: src.id, states: ['Ready'], name: `sdk-${RUN}` });
      expect(listed.items.map((s) => s.id)).toEqual([snap.id]);

      const restored = await createSandbox({ image: undefined, snapshotId: snap.id });
      try {
        const rinfo = await restored.getInfo();
        expect(rinfo).toMatchObject({ snapshotId: snap.id, status: { state: 'Running' } });
        expect(rinfo.image).toBeUndefined();
        await apiError(manager.deleteSnapshot(snap.id), 409, 'SNAPSHOT::DELETE_CONFLICT');
      } finally {
        await restored.kill();
      }
      await manager.deleteSnapshot(snap.id);
      snapshotId = undefined;
      await apiError(manager.getSnapshot(snap.id), 404, 'SNAPSHOT::NOT_FOUND');
      await expect(docker.getImage(`berth-snapshot:${snap.id}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await src.kill();
      if (snapshotId)
        await docker
          .getImage(`berth-snapshot:${snapshotId}`)
          .remove({ force: true })
          .catch(() => {});
    }
  }, 120_000);
});
