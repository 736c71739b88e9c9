import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { events, mounts } from '../../src/db/schema/index.js';
import { buildTestApp, createBody, DB_KINDS, TEST_API_KEY, type TestApp } from '../helpers/app.js';
import { postSignIn, sessionCookieOf } from '../helpers/dashboard.js';

// The dashboard's pages and forms through app.request, on real Postgres and PGlite, with a fake container
// runtime: what each page shows and that each form reaches the API's own verb with the session as actor.
const ORIGIN = 'http://localhost';

describe.each(DB_KINDS)('dashboard pages on %s', (kind) => {
  let t: TestApp;
  let cookie: string;
  let csrf: string;
  const get = (path: string) => t.app.request(path, { headers: { cookie } });
  const post = (path: string, form: Record<string, string>) =>
    t.app.request(path, { method: 'POST', headers: { cookie, origin: ORIGIN }, body: new URLSearchParams({ _csrf: csrf, ...form }) });
  const create = async (metadata: Record<string, string>) => {
    const res = await t.call('POST', '/v1/sandboxes', createBody({ metadata }));
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };

  beforeAll(async () => {
    t = await buildTestApp(kind, { config: { webhookAllowPrivate: true } });
    cookie = sessionCookieOf(await postSignIn(t.app));
    csrf = /name="_csrf" value="([^"]+)"/.exec(await (await get('/dashboard')).text())![1]!;
  });
  afterAll(() => t.close());

  it('shows counts by state, the last hour of creates and failures, and what expires soon', async () => {
    const id = await create({ team: 'overview' });
    await t.call('POST', '/v1/sandboxes/' + id + '/renew-expiration', { expiresAt: new Date(t.clock.now().getTime() + 10 * 60_000).toISOString() });
    const html = await (await get('/dashboard')).text();
    expect(html).toMatch(/data-state="Running"><b>[1-9]\d*<\/b>/);
    expect(html).toMatch(/created \([1-9]\d* in the hour\)/);
    expect(html).toContain(`/dashboard/sandboxes/${id}`); // expiring within 15 minutes
  });

  it('lists sandboxes with state and metadata filters and pages', async () => {
    const ids = [await create({ team: 'list-a' }), await create({ team: 'list-a' }), await create({ team: 'list-b' })];
    const filtered = await (await get('/dashboard/sandboxes?state=Running&metadata=team%3Dlist-a')).text();
    expect(filtered).toContain(`data-sandbox="${ids[0]}"`);
    expect(filtered).toContain(`data-sandbox="${ids[1]}"`);
    expect(filtered).not.toContain(`data-sandbox="${ids[2]}"`);
    expect(filtered).toContain('2 sandboxes · page 1 of 1');
    const paged = await (await get('/dashboard/sandboxes?metadata=team%3Dlist-a&pageSize=1&page=2')).text();
    expect(paged).toContain('page 2 of 2');
    expect((paged.match(/<tr data-sandbox=/g) ?? []).length).toBe(1);
    expect(paged).toContain('rel="prev"');
    const bad = await (await get('/dashboard/sandboxes?metadata=oops')).text();
    expect(bad).toContain('is not key=value');
  });

  it('pauses, resumes, edits metadata and deletes through the forms, recording the session as actor', async () => {
    const id = await create({ team: 'forms', gone: 'soon' });
    expect((await post(`/dashboard/sandboxes/${id}/pause`, {})).status).toBe(303);
    expect(((await (await t.call('GET', `/v1/sandboxes/${id}`)).json()) as { status: { state: string } }).status.state).toBe('Paused');
    const again = await post(`/dashboard/sandboxes/${id}/pause`, {});
    expect(decodeURIComponent(again.headers.get('location')!)).toContain('error=');
    expect((await post(`/dashboard/sandboxes/${id}/resume`, {})).status).toBe(303);
    expect((await post(`/dashboard/sandboxes/${id}/metadata`, { metadata: 'team=forms\nowner=ops' })).status).toBe(303);
    const row = (await (await t.call('GET', `/v1/sandboxes/${id}`)).json()) as { metadata: Record<string, string> };
    expect(row.metadata).toEqual({ team: 'forms', owner: 'ops' });
    const page = await (await get(`/dashboard/sandboxes/${id}`)).text();
    expect(page).toContain('sandbox.metadata_updated');
    const actors = [...page.matchAll(/<td class="mono">(dashboard:[0-9a-f]{32})<\/td>/g)].map((m) => m[1]);
    expect(actors.length).toBeGreaterThanOrEqual(3);
    expect(new Set(actors).size).toBe(1);
    expect((await post(`/dashboard/sandboxes/${id}/renew`, { minutes: '30' })).status).toBe(303);
    expect((await post(`/dashboard/sandboxes/${id}/delete`, {})).headers.get('location')).toMatch(/^\/dashboard\/sandboxes\?ok=/);
    expect((await t.call('GET', `/v1/sandboxes/${id}`)).status).toBe(404);
    expect((await get(`/dashboard/sandboxes/${id}`)).status).toBe(404);
    // Every form's event names the one session, never the key.
    const trail = await t.deps.db.select().from(events).where(eq(events.sandboxId, id)).orderBy(asc(events.seq));
    const byDashboard = trail.filter((e) => e.actor === actors[0]).map((e) => e.type);
    expect(byDashboard).toEqual(['sandbox.paused', 'sandbox.resumed', 'sandbox.metadata_updated', 'sandbox.renewed', 'sandbox.deleted']);
    expect(JSON.stringify(trail)).not.toContain(TEST_API_KEY);
  });

  it('shows the mount ledger, webhooks with their deliveries, and the event tail', async () => {
    expect(await (await get('/dashboard/mounts')).text()).toContain('No mounts yet');
    const hook = await t.call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/berth' });
    expect(hook.status).toBe(201);
    const { id: hookId, secret } = (await hook.json()) as { id: string; secret: string };
    expect((await post(`/dashboard/webhooks/${hookId}/test`, {})).status).toBe(303);
    const hookPage = await (await get(`/dashboard/webhooks/${hookId}`)).text();
    expect(hookPage).toContain('webhook.test');
    expect(hookPage).not.toContain(secret);
    const rotated = await post(`/dashboard/webhooks/${hookId}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    const shown = /data-testid="secret">(whsec_[^<]+)</.exec(await rotated.text())?.[1];
    expect(shown).toMatch(/^whsec_/);
    expect(await (await get(`/dashboard/webhooks/${hookId}`)).text()).not.toContain(shown!); // shown once
    const tail = await (await get('/dashboard/events')).text();
    expect(tail).toContain('webhook.test');
    expect(tail).toMatch(/data-stream="\/dashboard\/stream\?after=\d+"/);
  });

  it('counts failed creates in the chart and lists a degraded mount', async () => {
    t.runtime.failNext('start');
    // The engine refuses the start: the create answers upstream's 500, and its sandbox.failed event is the history.
    expect((await t.call('POST', '/v1/sandboxes', createBody({ metadata: { team: 'overview-failed' } }))).status).toBe(500);
    // A mount the health check found degraded (the ledger's own writes are tested in mount-ledger/mount-reconcile;
    // this runs after the ledger page's empty case above).
    await t.deps.db.insert(mounts).values({
      id: 'mnt_overview_degraded',
      identityKey: 'overview-degraded',
      backend: 'ossfs',
      spec: { bucket: 'b', endpoint: 'e' },
      hostPath: '/tmp/berth-overview-degraded',
      state: 'mounted',
      health: 'degraded',
      lastError: 'stat timed out',
      hostId: 'test-host',
    });
    const html = await (await get('/dashboard')).text();
    expect(html).toMatch(/failed \([1-9]\d*\)/); // the chart's legend counts the failure of the last hour
    expect(html).toMatch(/<title>[1-9]\d* failed<\/title>/); // and a bar has it
    // Readable without colour: failed bars are hatched, the legend says so, and a state is a word with a shape.
    expect(html).toMatch(/fill="url\(#failed-hatch\)"><title>[1-9]\d* failed<\/title>/);
    expect(html).toContain('▨ hatched red, right bar: failed');
    expect(html).toContain('<span class="state s-degraded">degraded</span>');
    const mountsPart = html.slice(html.indexOf('id="overview-mounts"'));
    expect(mountsPart).toContain('/dashboard/mounts/mnt_overview_degraded');
    expect(mountsPart).toContain('stat timed out');
  });
});
