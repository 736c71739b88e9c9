import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createBody, DB_KINDS, type TestApp } from '../helpers/app.js';
import { DASHBOARD_ORIGIN, signInDashboard } from '../helpers/dashboard.js';

// Sign-out revokes the session in the database: a copied cookie is refused afterwards, by every process.
describe.each(DB_KINDS)('dashboard sign-out on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind);
  });
  afterAll(() => t.close());

  it('revokes the session at sign-out: a copy of the cookie is refused afterwards, and a fresh sign-in works', async () => {
    const session = await signInDashboard(t.app);
    const other = await signInDashboard(t.app);
    expect((await session.get('/dashboard')).status).toBe(200);
    const out = await session.post('/dashboard/sign-out');
    expect(out.status).toBe(303);
    // The replayed cookie: pages go to sign-in, streams and forms get 401, nothing is done.
    expect((await session.get('/dashboard')).status).toBe(303);
    expect((await t.app.request('/dashboard/stream', { headers: { cookie: session.cookie, accept: 'text/event-stream' } })).status).toBe(401);
    const id = ((await (await t.call('POST', '/v1/sandboxes', createBody())).json()) as { id: string }).id;
    expect((await session.post(`/dashboard/sandboxes/${id}/pause`)).status).toBe(401);
    expect(((await (await t.call('GET', `/v1/sandboxes/${id}`)).json()) as { status: { state: string } }).status.state).toBe('Running');
    expect((await signInDashboard(t.app)).cookie).not.toBe(session.cookie);
    expect((await other.get('/dashboard')).status).toBe(200); // other sessions are untouched
  });

  it('ends an open event stream of a session that is signed out, before it sends anything more', async () => {
    const session = await signInDashboard(t.app);
    const res = await t.app.request('/dashboard/stream', { headers: { cookie: session.cookie, accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const readFor = async (ms: number) => {
      const until = Date.now() + ms;
      for (;;) {
        const left = until - Date.now();
        if (left <= 0) return false;
        const r = await Promise.race([reader.read(), new Promise<'wait'>((resolve) => setTimeout(() => resolve('wait'), left))]);
        if (r === 'wait') return false;
        if (r.done) return true;
        text += new TextDecoder().decode(r.value);
      }
    };
    await t.call('POST', '/v1/sandboxes', createBody({ metadata: { seen: 'before' } }));
    expect(await readFor(1000)).toBe(false);
    expect(text).toContain('sandbox.created');
    expect((await session.post('/dashboard/sign-out')).status).toBe(303);
    text = '';
    await new Promise((r) => setTimeout(r, 5500)); // past the stream's recheck interval
    await t.call('POST', '/v1/sandboxes', createBody({ metadata: { seen: 'after' } }));
    expect(await readFor(3000)).toBe(true); // the stream ended
    expect(text).not.toContain('sandbox.created');
  }, 20_000);
});

// Two berth processes share one Postgres database (PGlite is in-process: there is no second process to ask).
describe('dashboard sign-out across processes on postgres', () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await buildTestApp('postgres');
    second = await buildTestApp('postgres', { sameDatabaseAs: first });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('a cookie signed out at one process is refused by the other', async () => {
    const session = await signInDashboard(first.app);
    const atSecond = () => second.app.request('/dashboard', { headers: { cookie: session.cookie } });
    expect((await atSecond()).status).toBe(200);
    const out = await second.app.request('/dashboard/sign-out', {
      method: 'POST',
      headers: { cookie: session.cookie, origin: DASHBOARD_ORIGIN },
      body: new URLSearchParams({ _csrf: session.csrf }),
    });
    expect(out.status).toBe(303);
    expect((await session.get('/dashboard')).status).toBe(303);
    expect((await atSecond()).status).toBe(303);
  });
});
