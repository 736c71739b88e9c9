import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headSeq } from '../../src/domain/events/read.js';
import { buildTestApp, createBody, DB_KINDS, type TestApp } from '../helpers/app.js';
import { DASHBOARD_ORIGIN, signInDashboard, type DashboardClient } from '../helpers/dashboard.js';
import { startReceiver } from '../helpers/webhook-fixtures.js';

// Every state-changing dashboard route, read from the app itself (a route added later is covered without
// being listed here), refuses a post without the session's CSRF token, or with it from another origin, and
// changes nothing: no event is appended, the sandbox, its metadata and the webhook's secret stay as they were.
describe.each(DB_KINDS)('CSRF on every state-changing dashboard route on %s', (kind) => {
  let t: TestApp;
  let dash: DashboardClient;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const ids = { sandbox: '', webhook: '', delivery: '' };

  beforeAll(async () => {
    t = await buildTestApp(kind, { config: { webhookAllowPrivate: true } });
    receiver = await startReceiver(() => 204);
    dash = await signInDashboard(t.app);
    ids.sandbox = ((await (await t.call('POST', '/v1/sandboxes', createBody({ metadata: { team: 'kept' } }))).json()) as { id: string }).id;
    ids.webhook = ((await (await t.call('POST', '/v1/webhooks', { url: receiver.url() })).json()) as { id: string }).id;
    expect((await t.call('POST', `/v1/webhooks/${ids.webhook}/test`)).status).toBe(202);
    const deliveries = (await (await t.call('GET', `/v1/webhooks/${ids.webhook}/deliveries`)).json()) as { items: { id: string }[] };
    ids.delivery = deliveries.items[0]!.id;
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  /** A route path with real ids in place of its parameters, so a post that got through would change something. */
  const concrete = (path: string) =>
    path
      .replace('/sandboxes/:id', `/sandboxes/${ids.sandbox}`)
      .replace('/webhooks/:id', `/webhooks/${ids.webhook}`)
      .replace(':deliveryId', ids.delivery)
      .replace(':session', 'pty-none');
  /** What each form sends besides its token. */
  const FIELDS: Record<string, string> = { minutes: '5', metadata: 'team=changed', path: '/tmp', key: 'test-api-key', next: '/dashboard' };

  it('answers 403 and does nothing for every POST without the token or from another origin', async () => {
    const posts = t.app.routes.filter((r) => r.path.startsWith('/dashboard') && r.method !== 'GET' && r.method !== 'ALL');
    // The dashboard changes state only by POST; these are its forms (and the upload script's request) today.
    expect(posts.every((r) => r.method === 'POST')).toBe(true);
    const paths = [...new Set(posts.map((r) => r.path))].sort();
    expect(paths).toEqual(
      [
        '/dashboard/sign-in',
        '/dashboard/sign-out',
        '/dashboard/sandboxes/:id/pause',
        '/dashboard/sandboxes/:id/resume',
        '/dashboard/sandboxes/:id/renew',
        '/dashboard/sandboxes/:id/metadata',
        '/dashboard/sandboxes/:id/delete',
        '/dashboard/sandboxes/:id/terminal',
        '/dashboard/sandboxes/:id/files/upload',
        '/dashboard/sandboxes/:id/files/delete',
        '/dashboard/webhooks/:id/test',
        '/dashboard/webhooks/:id/deliveries/:deliveryId/redeliver',
        '/dashboard/webhooks/:id/rotate-secret',
      ].sort(),
    );
    const before = await headSeq(t.deps);
    const answers: Record<string, number[]> = {};
    for (const path of paths) {
      const url = concrete(path);
      const send = (headers: Record<string, string>, form: Record<string, string>) =>
        t.app.request(url, { method: 'POST', headers: { cookie: dash.cookie, ...headers }, body: new URLSearchParams({ ...FIELDS, ...form }) });
      answers[path] = [
        (await send({ origin: DASHBOARD_ORIGIN }, {})).status, // no token
        (await send({ origin: DASHBOARD_ORIGIN }, { _csrf: 'A'.repeat(43) })).status, // a wrong one
        (await send({ origin: 'http://evil.example' }, { _csrf: dash.csrf })).status, // the right one, cross-site
        (await send({}, { _csrf: dash.csrf })).status, // no Origin at all
      ];
      // The upload is sent by the page's script with the token in a header: the same refusals apply there.
      if (path.endsWith('/files/upload'))
        answers[`${path} (header)`] = [
          (await send({ origin: DASHBOARD_ORIGIN, 'x-berth-csrf': 'A'.repeat(43) }, {})).status,
          (await send({ origin: 'http://evil.example', 'x-berth-csrf': dash.csrf }, {})).status,
        ];
    }
    for (const [path, statuses] of Object.entries(answers)) expect({ path, statuses }).toEqual({ path, statuses: statuses.map(() => 403) });

    expect(await headSeq(t.deps)).toBe(before); // no event: nothing was done
    const s = (await (await t.call('GET', `/v1/sandboxes/${ids.sandbox}`)).json()) as { status: { state: string }; metadata: Record<string, string> };
    expect(s).toMatchObject({ status: { state: 'Running' }, metadata: { team: 'kept' } });
    expect((await dash.get('/dashboard')).status).toBe(200); // still signed in
  });
});
