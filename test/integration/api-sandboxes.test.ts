import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/domain/ports.js';
import { buildTestApp, createBody, DB_KINDS, TEST_API_KEY, TEST_IMAGE, TEST_INSTANCE_ID, type TestApp } from '../helpers/app.js';

// The lifecycle API through app.request, against real Postgres and PGlite, with a fake container runtime.

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe.each(DB_KINDS)('lifecycle API on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function create(overrides: Record<string, unknown> = {}) {
    const res = await t.call('POST', '/v1/sandboxes', createBody(overrides));
    expect(res.status, await res.clone().text()).toBe(202);
    return (await res.json()) as Record<string, any>;
  }

  it('creates a Running sandbox and answers 202 with the create shape', async () => {
    const now = t.clock.now();
    const containersBefore = t.runtime.count;
    const res = await t.call('POST', '/v1/sandboxes', createBody({ metadata: { team: 'ml' } }));
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const body = await res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: {
        state: 'Running',
        reason: 'CONTAINER_RUNNING',
        message: 'Sandbox container started successfully.',
        lastTransitionAt: now.toISOString(),
      },
      metadata: { team: 'ml' },
      expiresAt: new Date(now.getTime() + 600_000).toISOString(),
      createdAt: now.toISOString(),
      entrypoint: ['tail', '-f', '/dev/null'],
    });
    expect(t.runtime.count).toBe(containersBefore + 1);
    const [container] = (await t.runtime.listOwned(TEST_INSTANCE_ID)).filter((c) => c.labels[LABELS.sandboxId] === body.id);
    expect(container?.running).toBe(true);
  });

  it('omits expiresAt for manual cleanup (timeout null or absent) and metadata when empty', async () => {
    for (const overrides of [{ timeout: null }, { timeout: undefined }]) {
      const body = await create(overrides);
      expect(body).not.toHaveProperty('expiresAt');
      expect(body).not.toHaveProperty('metadata');
      expect(JSON.stringify(body)).not.toContain(':null');
    }
  });

  it('ignores unknown fields and accepts null for optional ones, as upstream', async () => {
    const body = await create({ someFutureField: { x: 1 }, resourceRequests: { cpu: '1' }, platform: null, volumes: null, networkPolicy: null });
    expect(body.status.state).toBe('Running');
  });

  it('returns the full Sandbox on GET, never the registry credentials', async () => {
    const created = await create({ image: { uri: TEST_IMAGE, auth: { username: 'u', password: 'hunter2-secret' } }, platform: { os: 'Linux', arch: 'AMD64' } });
    const res = await t.call('GET', `/v1/sandboxes/${created.id}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('hunter2-secret');
    expect(JSON.stringify(t.log.lines)).not.toContain('hunter2-secret');
    const got = JSON.parse(text);
    expect(got).toEqual({ ...created, image: { uri: TEST_IMAGE }, platform: { os: 'linux', arch: 'amd64' } });
    expect(got.createdAt).toMatch(ISO);
  });

  it('walks the whole life: get, patch, pause, resume, renew, endpoints, delete', async () => {
    const { id } = await create({ metadata: { a: '1', b: '2' } });

    const patched = await t.call('PATCH', `/v1/sandboxes/${id}/metadata`, { b: null, c: '3' });
    expect(patched.status).toBe(200);
    expect((await patched.json()).metadata).toEqual({ a: '1', c: '3' });

    const paused = await t.call('POST', `/v1/sandboxes/${id}/pause`);
    expect(paused.status).toBe(202);
    expect(paused.headers.get('content-length')).toBe('0');
    expect(await paused.text()).toBe('');
    expect((await (await t.call('GET', `/v1/sandboxes/${id}`)).json()).status.state).toBe('Paused');

    const again = await t.call('POST', `/v1/sandboxes/${id}/pause`);
    expect(again.status).toBe(409);
    expect((await again.json()).code).toBe('DOCKER::SANDBOX_NOT_RUNNING');

    const resumed = await t.call('POST', `/v1/sandboxes/${id}/resume`);
    expect(resumed.status).toBe(202);
    expect(resumed.headers.get('content-length')).toBe('0');
    const resumeRunning = await t.call('POST', `/v1/sandboxes/${id}/resume`);
    expect(resumeRunning.status).toBe(409);
    expect((await resumeRunning.json()).code).toBe('DOCKER::SANDBOX_NOT_PAUSED');

    const newExpiry = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    const renewed = await t.call('POST', `/v1/sandboxes/${id}/renew-expiration`, { expiresAt: newExpiry });
    expect(renewed.status).toBe(200);
    expect(await renewed.json()).toEqual({ expiresAt: newExpiry });
    expect((await (await t.call('GET', `/v1/sandboxes/${id}`)).json()).expiresAt).toBe(newExpiry);

    // execd (44772) is served by berth itself; 8080 is published; 18080 is not, so it goes through the server proxy.
    const ep = await t.call('GET', `/v1/sandboxes/${id}/endpoints/44772?use_server_proxy=false`);
    expect(ep.status).toBe(200);
    expect(await ep.json()).toEqual({ endpoint: `localhost/sandboxes/${id}/proxy/44772` });
    const direct = await (await t.call('GET', `/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=false`)).json();
    expect(direct.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    const egress = await (await t.call('GET', `/v1/sandboxes/${id}/endpoints/18080?use_server_proxy=false`)).json();
    expect(egress).toEqual({ endpoint: `localhost/sandboxes/${id}/proxy/18080` });
    const proxied = await (await t.call('GET', `/v1/sandboxes/${id}/endpoints/18080?use_server_proxy=true`)).json();
    expect(proxied).toEqual({ endpoint: `localhost/sandboxes/${id}/proxy/18080` });

    const deleted = await t.call('DELETE', `/v1/sandboxes/${id}`);
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    const gone = await t.call('GET', `/v1/sandboxes/${id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ code: 'DOCKER::SANDBOX_NOT_FOUND', message: `Sandbox ${id} not found.` });
    expect((await t.call('DELETE', `/v1/sandboxes/${id}`)).status).toBe(404);
    const owned = await t.runtime.listOwned(TEST_INSTANCE_ID);
    expect(owned.some((c) => c.labels[LABELS.sandboxId] === id)).toBe(false);
  });

  it('serves every route at / as well as /v1', async () => {
    const { id } = await create();
    const res = await t.call('GET', `/sandboxes/${id}`);
    expect(res.status).toBe(200);
    expect((await res.json()).id).toBe(id);
    expect((await t.call('POST', `/sandboxes/${id}/pause`)).status).toBe(202);
  });

  it('renew: naive times are UTC; the past is 400, manual cleanup 409', async () => {
    const { id } = await create();
    const naive = new Date(t.clock.now().getTime() + 7_200_000).toISOString().replace('Z', '');
    const res = await t.call('POST', `/v1/sandboxes/${id}/renew-expiration`, { expiresAt: naive });
    expect(res.status).toBe(200);
    expect((await res.json()).expiresAt).toBe(`${naive}Z`);

    const past = await t.call('POST', `/v1/sandboxes/${id}/renew-expiration`, { expiresAt: '2000-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(await past.json()).toEqual({ code: 'DOCKER::INVALID_EXPIRATION', message: 'New expiration time must be in the future.' });

    const manual = await create({ timeout: null });
    const conflict = await t.call('POST', `/v1/sandboxes/${manual.id}/renew-expiration`, { expiresAt: '2099-01-01T00:00:00Z' });
    expect(conflict.status).toBe(409);
    expect((await conflict.json()).code).toBe('DOCKER::INVALID_EXPIRATION');
  });

  it('endpoints: bad ports are DOCKER::INVALID_PORT, expires is not supported', async () => {
    const { id } = await create();
    for (const port of ['abc', '0', '65536', '-1', '80.5', '1e3']) {
      const res = await t.call('GET', `/v1/sandboxes/${id}/endpoints/${port}`);
      expect(res.status, port).toBe(400);
      expect(await res.json()).toEqual({ code: 'DOCKER::INVALID_PORT', message: 'Port must be between 1 and 65535.' });
    }
    const expires = await t.call('GET', `/v1/sandboxes/${id}/endpoints/8080?expires=1900000000`);
    expect(expires.status).toBe(400);
    expect((await expires.json()).code).toBe('SANDBOX::API_NOT_SUPPORTED');
    const both = await t.call('GET', `/v1/sandboxes/${id}/endpoints/8080?expires=1900000000&use_server_proxy=true`);
    expect(both.status).toBe(400);
    expect((await both.json()).code).toBe('SANDBOX::INVALID_PARAMETER');
    const badBool = await t.call('GET', `/v1/sandboxes/${id}/endpoints/8080?use_server_proxy=maybe`);
    expect(badBool.status).toBe(400);
    expect((await badBool.json()).message).toContain('use_server_proxy');
    const unknown = await t.call('GET', `/v1/sandboxes/00000000-0000-0000-0000-000000000000/endpoints/8080`);
    expect(unknown.status).toBe(404);
  });

  it('answers 404 {code,message} for unknown sandboxes on every route', async () => {
    const id = 'no-such-sandbox';
    const calls: Array<[string, string, unknown?]> = [
      ['GET', `/v1/sandboxes/${id}`],
      ['DELETE', `/v1/sandboxes/${id}`],
      ['PATCH', `/v1/sandboxes/${id}/metadata`, { a: 'b' }],
      ['POST', `/v1/sandboxes/${id}/pause`],
      ['POST', `/v1/sandboxes/${id}/resume`],
      ['POST', `/v1/sandboxes/${id}/renew-expiration`, { expiresAt: '2099-01-01T00:00:00Z' }],
      ['GET', `/v1/sandboxes/${id}/endpoints/8080`],
    ];
    for (const [method, path, body] of calls) {
      const res = await t.call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toEqual({ code: 'DOCKER::SANDBOX_NOT_FOUND', message: `Sandbox ${id} not found.` });
    }
    const route = await t.call('GET', '/v1/no-such-route', undefined, { 'X-Request-ID': 'rid-404' });
    expect(route.status).toBe(404);
    expect(route.headers.get('x-request-id')).toBe('rid-404');
    expect((await route.json()).code).toBe('GENERAL::NOT_FOUND');
  });

  it('a failed image pull or start answers 500 with the Docker code and leaves no row and no container', async () => {
    const rows = await t.countRows();
    const containers = t.runtime.count;

    t.runtime.failNext('pull', 1, 'registry unreachable');
    const pull = await t.call('POST', '/v1/sandboxes', createBody({ image: { uri: 'registry.invalid:5000/nope:1' } }));
    expect(pull.status).toBe(500);
    expect(await pull.json()).toEqual({ code: 'DOCKER::SANDBOX_IMAGE_PULL_FAILED', message: 'registry unreachable' });

    t.runtime.failNext('start', 1, 'runc failed');
    const start = await t.call('POST', '/v1/sandboxes', createBody());
    expect(start.status).toBe(500);
    expect(await start.json()).toEqual({ code: 'DOCKER::SANDBOX_START_FAILED', message: 'runc failed' });

    expect(await t.countRows()).toBe(rows);
    expect(t.runtime.count).toBe(containers);
  });

  it('a failed docker pause answers 500 DOCKER::SANDBOX_PAUSE_FAILED and the sandbox stays Running', async () => {
    const { id } = await create();
    t.runtime.failNext('pause', 1, 'freezer unavailable');
    const res = await t.call('POST', `/v1/sandboxes/${id}/pause`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ code: 'DOCKER::SANDBOX_PAUSE_FAILED', message: 'freezer unavailable' });
    expect((await (await t.call('GET', `/v1/sandboxes/${id}`)).json()).status.state).toBe('Running');
    expect((await t.call('POST', `/v1/sandboxes/${id}/pause`)).status).toBe(202);
  });

  it('accepts SDK telemetry at /v1/metrics/events with 204 and logs it', async () => {
    const res = await t.call(
      'POST',
      '/v1/metrics/events',
      { eventType: 'sandbox.create', sandboxId: 'x', image: TEST_IMAGE, createDurationMs: 321, success: true },
      { 'User-Agent': 'OpenSandbox-JS-SDK/0.1.11' },
    );
    expect(res.status).toBe(204);
    const line = t.log.find('sdk telemetry event').at(-1);
    expect(line).toMatchObject({ eventType: 'sandbox.create', durationMs: 321, success: true, userAgent: 'OpenSandbox-JS-SDK/0.1.11' });
  });

  it('over a real socket, pause and resume answer Content-Length: 0 (the SDK parses JSON otherwise)', async () => {
    const { id } = await create();
    const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((r) => server.once('listening', () => r()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const op of ['pause', 'resume']) {
        const res = await fetch(`${base}/v1/sandboxes/${id}/${op}`, { method: 'POST', headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY } });
        expect(res.status).toBe(202);
        expect(res.headers.get('content-length')).toBe('0');
        expect(res.headers.get('transfer-encoding')).toBeNull();
        expect(await res.text()).toBe('');
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
