import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import '../../src/http/context.js';
import { apiKeyAuth, INVALID_API_KEY, MISSING_API_KEY } from '../../src/http/middleware/auth.js';

const KEY = 's3cret-key';

function app(config: { apiKey: string | undefined; insecureNoAuth: boolean; serverProxy?: boolean }) {
  const a = new Hono();
  a.use('*', apiKeyAuth(config));
  a.get('*', (c) => c.text('ok'));
  a.post('*', (c) => c.text('ok'));
  return a;
}

describe('apiKeyAuth', () => {
  const a = app({ apiKey: KEY, insecureNoAuth: false });
  const status = async (path: string, headers: Record<string, string> = {}) => (await a.request(path, { headers })).status;

  it('lets the right key through and answers upstream 401 bodies otherwise', async () => {
    expect(await status('/v1/sandboxes', { 'OPEN-SANDBOX-API-KEY': KEY })).toBe(200);
    const missing = await a.request('/v1/sandboxes');
    expect(await missing.json()).toEqual(MISSING_API_KEY);
    const wrong = await a.request('/v1/sandboxes', { headers: { 'OPEN-SANDBOX-API-KEY': 'nope' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual(INVALID_API_KEY);
  });

  it('exempts exactly /health, /docs and /openapi.json', async () => {
    for (const p of ['/health', '/docs', '/openapi.json']) expect(await status(p), p).toBe(200);
    for (const p of ['/healthz', '/health/x', '/docs/x', '/v1/health', '/openapi.jsonx', '/v1/openapi.json']) expect(await status(p), p).toBe(401);
  });

  it('exempts exactly the server-proxy route shape, and only while the proxy is on', async () => {
    const on = app({ apiKey: KEY, insecureNoAuth: false, serverProxy: true });
    const st = async (p: string) => (await on.request(p)).status;
    for (const p of ['/sandboxes/sb/proxy/8080', '/sandboxes/sb/proxy/8080/', '/v1/sandboxes/sb/proxy/1/a/b?x=1']) expect(await st(p), p).toBe(200);
    for (const p of [
      '/sandboxes/sb',
      '/v1/sandboxes/sb/endpoints/8080',
      '/sandboxes/sb/proxy/abc',
      '/sandboxes/sb/proxyx/80',
      '/v2/sandboxes/sb/proxy/80',
      '/x/sandboxes/sb/proxy/80',
      '/v1/sandboxes',
      '/sandboxes/sb/proxy',
    ])
      expect(await st(p), p).toBe(401);
    expect(await status('/sandboxes/sb/proxy/8080')).toBe(401); // serverProxy not set: no exemption
  });

  it('takes ?api_key= only on the event stream', async () => {
    expect(await status(`/v1/events?api_key=${KEY}`)).toBe(200);
    expect(await status(`/events?api_key=${KEY}`)).toBe(200);
    expect(await status('/v1/events?api_key=wrong')).toBe(401);
    expect(await status(`/v1/sandboxes?api_key=${KEY}`)).toBe(401);
    expect(await status(`/v1/events/x?api_key=${KEY}`)).toBe(401);
  });

  it('takes Authorization: Bearer only on /metrics', async () => {
    expect(await status('/metrics', { Authorization: `Bearer ${KEY}` })).toBe(200);
    expect(await status('/metrics', { Authorization: 'Bearer wrong' })).toBe(401);
    expect(await status('/metrics', { 'OPEN-SANDBOX-API-KEY': KEY })).toBe(200);
    expect(await status('/v1/sandboxes', { Authorization: `Bearer ${KEY}` })).toBe(401);
  });

  it('runs open only with insecureNoAuth, and refuses to be built without a key otherwise', async () => {
    expect((await app({ apiKey: undefined, insecureNoAuth: true }).request('/v1/sandboxes')).status).toBe(200);
    expect(() => apiKeyAuth({ apiKey: undefined, insecureNoAuth: false })).toThrow(/no API key/);
    expect(() => apiKeyAuth({ apiKey: '', insecureNoAuth: false })).toThrow(/no API key/);
  });

  it('a configured key wins over insecureNoAuth', async () => {
    expect((await app({ apiKey: KEY, insecureNoAuth: true }).request('/v1/sandboxes')).status).toBe(401);
  });
});
