import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { Deps } from '../../src/domain/deps.js';
import { appendEvent } from '../../src/domain/events/append.js';
import type { TestDb } from '../helpers/db.js';
import { listenOnRandomPort, type Listening } from '../helpers/listen.js';
import { openSse } from '../helpers/sse-client.js';
import { freshPostgres, testConfig, waitFor, webhookDeps } from '../helpers/webhook-fixtures.js';

// The event stream and the webhook API inside the lead's real app: API key (header or ?api_key= on the
// stream only), CORS for the configured dashboard origin, error bodies.
const KEY = 'events-app-key-0123456789';
let t: TestDb;
let deps: Deps;
let listening: Listening;
let base: string;

beforeAll(async () => {
  t = await freshPostgres();
  deps = webhookDeps(t.handle.db, { config: testConfig({ BERTH_API_KEY: KEY, BERTH_CORS_ORIGINS: 'https://dash.example' }) });
  const app = createApp(deps);
  listening = await listenOnRandomPort(app.fetch);
  base = listening.base;
});
afterAll(async () => {
  await listening.close();
  await t.drop();
});

describe('events and webhooks in the app', () => {
  it('the stream accepts the key as ?api_key= (EventSource) or the header, and refuses without it', async () => {
    expect((await fetch(`${base}/v1/events`)).status).toBe(401);
    expect((await fetch(`${base}/v1/events?api_key=wrong`)).status).toBe(401);
    const viaQuery = await openSse(`${base}/v1/events?api_key=${KEY}`);
    expect(viaQuery.res.status).toBe(200);
    const ev = (await deps.db.transaction((tx) => appendEvent(tx, deps, { type: 'sandbox.created', sandboxId: 's1', actor: 'test' })))[0]!;
    await waitFor(() => viaQuery.messages.length === 1);
    await viaQuery.close();
    expect(viaQuery.events()[0]!.id).toBe(ev.id);
    const viaHeader = await openSse(`${base}/v1/events?after=0`, { 'OPEN-SANDBOX-API-KEY': KEY });
    await waitFor(() => viaHeader.messages.length >= 1);
    await viaHeader.close();
    expect(viaHeader.res.status).toBe(200);
  });

  it('the query key is not accepted on other routes', async () => {
    expect((await fetch(`${base}/v1/webhooks?api_key=${KEY}`)).status).toBe(401);
    expect((await fetch(`${base}/v1/webhooks`, { headers: { 'OPEN-SANDBOX-API-KEY': KEY } })).status).toBe(200);
  });

  it('CORS: the dashboard origin may read the stream and call the webhook API; others may not', async () => {
    const ok = await openSse(`${base}/v1/events?api_key=${KEY}`, { origin: 'https://dash.example' });
    expect(ok.res.headers.get('access-control-allow-origin')).toBe('https://dash.example');
    await ok.close();
    const other = await openSse(`${base}/v1/events?api_key=${KEY}`, { origin: 'https://evil.example' });
    expect(other.res.headers.get('access-control-allow-origin')).toBeNull();
    await other.close();
    const pre = await fetch(`${base}/v1/webhooks`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://dash.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'open-sandbox-api-key,content-type',
      },
    });
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://dash.example');
  });

  it('a test event sent through the API shows up on the stream', async () => {
    const h = { 'OPEN-SANDBOX-API-KEY': KEY, 'content-type': 'application/json' };
    const sse = await openSse(`${base}/v1/events?types=webhook.test&api_key=${KEY}`);
    const created = await fetch(`${base}/v1/webhooks`, { method: 'POST', headers: h, body: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }) });
    expect(created.status).toBe(201);
    const { id, secret } = await created.json();
    const test = await fetch(`${base}/v1/webhooks/${id}/test`, { method: 'POST', headers: h });
    expect(test.status).toBe(202);
    const { eventId } = await test.json();
    await waitFor(() => sse.messages.length === 1);
    await sse.close();
    expect(sse.events()[0]).toMatchObject({ id: eventId, type: 'webhook.test' });
    expect(sse.messages[0]!.data).not.toContain(secret);
    const bad = await fetch(`${base}/v1/webhooks`, { method: 'POST', headers: h, body: JSON.stringify({ url: 'http://x', eventTypes: ['nope'] }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toHaveProperty('code');
  });
});
