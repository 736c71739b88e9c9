import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { buildTestApp, createBody, DB_KINDS, TEST_API_KEY, type TestApp } from '../helpers/app.js';

// Auth, X-Request-ID, CORS, the access log, /health, /metrics, /docs and the generic 500.

const MISSING = {
  code: 'MISSING_API_KEY',
  message: 'Authentication credentials are missing. Provide API key via OPEN-SANDBOX-API-KEY header.',
};
const INVALID = {
  code: 'INVALID_API_KEY',
  message: 'Authentication credentials are invalid. Check your API key and try again.',
};

describe.each(DB_KINDS)('auth and operations on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const raw = (path: string, init: RequestInit = {}) => t.app.request(path, init);

  it('401 MISSING_API_KEY without the header (or with an empty one), with upstream body and a request id', async () => {
    for (const headers of [{}, { 'OPEN-SANDBOX-API-KEY': '' }] as Array<Record<string, string>>) {
      const res = await raw('/v1/sandboxes', { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(MISSING);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('401 INVALID_API_KEY for a wrong key of any length, and nothing is created', async () => {
    const rows = await t.countRows();
    for (const key of ['wrong', `${TEST_API_KEY}x`, TEST_API_KEY.slice(0, -1), TEST_API_KEY.toUpperCase()]) {
      const res = await raw('/v1/sandboxes', {
        method: 'POST',
        headers: { 'OPEN-SANDBOX-API-KEY': key, 'Content-Type': 'application/json' },
        body: JSON.stringify(createBody()),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(INVALID);
    }
    expect(await t.countRows()).toBe(rows);
    expect((await raw('/sandboxes', { headers: { 'OPEN-SANDBOX-API-KEY': 'nope' } })).status).toBe(401);
  });

  it('accepts the header name in any case', async () => {
    const res = await raw('/v1/sandboxes', { headers: { 'open-sandbox-api-key': TEST_API_KEY } });
    expect(res.status).toBe(200);
  });

  it('echoes X-Request-ID (trimmed) on success, 401, 404 and 400; generates a fresh one otherwise', async () => {
    const ok = await t.call('GET', '/v1/sandboxes', undefined, { 'X-Request-ID': '  client-rid-1  ' });
    expect(ok.headers.get('x-request-id')).toBe('client-rid-1');
    const unauth = await raw('/v1/sandboxes', { headers: { 'X-Request-ID': 'rid-401' } });
    expect(unauth.headers.get('x-request-id')).toBe('rid-401');
    const missing = await t.call('GET', '/v1/sandboxes/nope', undefined, { 'X-Request-ID': 'rid-404' });
    expect(missing.headers.get('x-request-id')).toBe('rid-404');
    const bad = await t.call('GET', '/v1/sandboxes?page=0', undefined, { 'X-Request-ID': 'rid-400' });
    expect(bad.headers.get('x-request-id')).toBe('rid-400');
    const a = (await t.call('GET', '/health')).headers.get('x-request-id');
    const b = (await t.call('GET', '/health')).headers.get('x-request-id');
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it('uses the request id as the actor of the events it causes', async () => {
    const res = await t.call('POST', '/v1/sandboxes', createBody(), { 'X-Request-ID': 'rid-actor' });
    expect(res.status).toBe(202);
    const { events } = await import('../../src/db/schema/index.js');
    const { eq } = await import('drizzle-orm');
    const rows = await t.deps.db
      .select()
      .from(events)
      .where(eq(events.sandboxId, (await res.json()).id));
    expect(rows.map((r) => r.actor)).toContain('api:rid-actor');
  });

  it('/health, /openapi.json and /docs need no key', async () => {
    const health = await raw('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'healthy' });
    expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const doc = await raw('/openapi.json');
    expect(doc.status).toBe(200);
    expect((await doc.json()).openapi).toBe('3.1.0');
    const docs = await raw('/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(await docs.text()).toContain('/openapi.json');
    // exact paths only: nothing that merely starts like an exempt path
    expect((await raw('/health/../v1/sandboxes')).status).toBe(401);
    expect((await raw('/healthz')).status).toBe(401);
  });

  it('/metrics needs the key (header or Bearer) and reports sandboxes by state from the database', async () => {
    expect((await raw('/metrics')).status).toBe(401);
    expect((await raw('/metrics', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    const created = await t.call('POST', '/v1/sandboxes', createBody());
    const { id } = await created.json();
    expect((await t.call('POST', `/v1/sandboxes/${id}/pause`)).status).toBe(202);

    const res = await raw('/metrics', { headers: { Authorization: `Bearer ${TEST_API_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const gauge = (state: string) => Number(new RegExp(`^berth_sandboxes\\{state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(gauge('Paused')).toBeGreaterThanOrEqual(1);
    expect(gauge('Running')).toBeGreaterThanOrEqual(1);
    expect(gauge('Failed')).toBe(0);
    expect(text).toMatch(/^berth_sandbox_create_duration_seconds_count\{outcome="ok"\} [1-9]\d*$/m);
    expect(text).toContain('berth_reaper_runs_total');

    const paused = gauge('Paused');
    expect((await t.call('DELETE', `/v1/sandboxes/${id}`)).status).toBe(204);
    const after = await (await t.call('GET', '/metrics')).text();
    expect(Number(/^berth_sandboxes\{state="Paused"\} (\d+)$/m.exec(after)?.[1])).toBe(paused - 1);
  });

  it('CORS: a preflight needs no key; responses expose X-Request-ID', async () => {
    const pre = await raw('/v1/sandboxes', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://dash.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'open-sandbox-api-key,content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('open-sandbox-api-key');
    const res = await t.call('GET', '/v1/sandboxes', undefined, { Origin: 'https://dash.example' });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-ID');
    // a browser can read a 401 too (and its request id)
    const unauth = await raw('/v1/sandboxes', { headers: { Origin: 'https://dash.example' } });
    expect(unauth.status).toBe(401);
    expect(unauth.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('writes one access-log line per request with route, status, duration and error code', async () => {
    t.log.clear();
    await t.call('GET', '/v1/sandboxes/not-there', undefined, { 'X-Request-ID': 'rid-log' });
    await raw('/v1/sandboxes', { headers: { 'X-Request-ID': 'rid-log-401' } });
    const lines = t.log.find('request');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'info',
      requestId: 'rid-log',
      method: 'GET',
      route: '/v1/sandboxes/:sandboxId',
      status: 404,
      errorCode: 'DOCKER::SANDBOX_NOT_FOUND',
    });
    expect(typeof lines[0]!.durationMs).toBe('number');
    expect(lines[1]).toMatchObject({ requestId: 'rid-log-401', status: 401, errorCode: 'MISSING_API_KEY' });
  });

  it('an unexpected error is a generic 500 (never its message) and is logged with its stack', async () => {
    const original = t.runtime.ensureImage.bind(t.runtime);
    t.runtime.ensureImage = async () => {
      throw new Error('Failed query: select secret_column from x params: hunter2');
    };
    try {
      t.log.clear();
      const res = await t.call('POST', '/v1/sandboxes', createBody(), { 'X-Request-ID': 'rid-500' });
      expect(res.status).toBe(500);
      expect(res.headers.get('x-request-id')).toBe('rid-500');
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ code: 'GENERAL::UNKNOWN_ERROR', message: 'An unexpected error occurred.' });
      expect(text).not.toContain('hunter2');
      const [logged] = t.log.find('unhandled error');
      expect(logged).toMatchObject({ requestId: 'rid-500', level: 'error' });
      expect(JSON.stringify(logged)).toContain(' at ');
      expect(t.log.find('request').at(-1)).toMatchObject({ status: 500, level: 'error', errorCode: 'GENERAL::UNKNOWN_ERROR' });
    } finally {
      t.runtime.ensureImage = original;
    }
  });

  it('runs open only when told to, and refuses to build without a key otherwise', async () => {
    const open = createApp({ ...t.deps, config: { ...t.deps.config, apiKey: undefined, insecureNoAuth: true } });
    expect((await open.request('/v1/sandboxes')).status).toBe(200);
    expect(() => createApp({ ...t.deps, config: { ...t.deps.config, apiKey: undefined, insecureNoAuth: false } })).toThrow(/no API key/);
  });

  it('with configured CORS origins, other origins get no allow-origin header', async () => {
    const app = createApp({ ...t.deps, config: { ...t.deps.config, corsOrigins: ['https://ok.example'] } });
    const h = { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY };
    const ok = await app.request('/v1/sandboxes', { headers: { ...h, Origin: 'https://ok.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ok.example');
    const other = await app.request('/v1/sandboxes', { headers: { ...h, Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
