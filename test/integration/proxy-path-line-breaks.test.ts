import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, DB_KINDS, TEST_API_KEY, type TestApp } from '../helpers/app.js';
import { listenOnRandomPort, type Listening } from '../helpers/listen.js';

// Found by the fuzz tier: an execd path with a line break (%0A, which Hono decodes) did not match the proxy
// route shape, so the app's own body limit also read the body and execd's limit then found the stream
// locked: a 500 for every method. Over a real socket, since only a real request carries a body stream.

describe.each(DB_KINDS)('proxy paths with line breaks on %s', (kind) => {
  let t: TestApp;
  let l: Listening;
  beforeAll(async () => {
    t = await buildTestApp(kind);
    l = await listenOnRandomPort(t.app.fetch);
  });
  afterAll(async () => {
    await l?.close();
    await t?.close();
  });

  it.each([
    ['DELETE', '/v1/sandboxes/nope/proxy/44772/ping%0A'],
    ['GET', '/v1/sandboxes/nope/proxy/44772/ping%0A'],
    ['POST', '/sandboxes/nope/proxy/44772/command%0D%0A'],
    ['DELETE', '/v1/sandboxes/nope/proxy/44772/session/a%0Ab'],
    ['PUT', '/v1/sandboxes/nope/proxy/8080/x%0Ay'],
  ])('%s %s answers a JSON 4xx', async (method, path) => {
    const res = await fetch(`${l.base}${path}`, { method, headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY } });
    const text = await res.text();
    expect(res.status, text).toBeGreaterThanOrEqual(400);
    expect(res.status, text).toBeLessThan(500);
    expect(JSON.parse(text)).toEqual({ code: expect.any(String), message: expect.any(String) });
  });
});
