import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fanoutOnce } from '../../src/domain/webhooks/fanout.js';
import { buildTestApp, createBody, DB_KINDS, type TestApp } from '../helpers/app.js';
import { signInDashboard } from '../helpers/dashboard.js';

// A webhook endpoint's page streams changes to its deliveries. A change between the page's render and the
// stream's connection must still reach the page: the page names the version it was rendered at.
describe.each(DB_KINDS)('the webhook page’s deliveries stream on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind, { config: { webhookAllowPrivate: true } });
  });
  afterAll(() => t.close());

  /** The stream's text within `ms` (the stream stays open; what it sent by then is what counts). */
  async function streamed(res: Response, ms: number): Promise<string> {
    const reader = res.body!.getReader();
    let text = '';
    const until = Date.now() + ms;
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) break;
      const r = await Promise.race([reader.read(), new Promise<'wait'>((resolve) => setTimeout(() => resolve('wait'), left))]);
      if (r === 'wait' || r.done) break;
      text += new TextDecoder().decode(r.value);
    }
    await reader.cancel();
    return text;
  }

  it('tells a page of a change made after its render but before its stream connected', async () => {
    const session = await signInDashboard(t.app);
    const hook = (await (await t.call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', eventTypes: ['sandbox.created'] })).json()) as { id: string };
    const page = await (await session.get(`/dashboard/webhooks/${hook.id}`)).text();
    const stream = /data-stream="([^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&');
    expect(stream).toContain(`/dashboard/webhooks/${hook.id}/deliveries/stream?since=`);
    // the change: a delivery made between the render and the connection
    await t.call('POST', '/v1/sandboxes', createBody());
    expect((await fanoutOnce(t.deps)).deliveries).toBeGreaterThan(0);
    const res = await t.app.request(stream, { headers: { cookie: session.cookie, accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(await streamed(res, 2500)).toContain('webhook.deliveries_changed');
  });

  it('says nothing while nothing changes, and 404s an unknown endpoint before any stream', async () => {
    const session = await signInDashboard(t.app);
    const hook = (await (await t.call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/quiet' })).json()) as { id: string };
    const page = await (await session.get(`/dashboard/webhooks/${hook.id}`)).text();
    const stream = /data-stream="([^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&');
    const res = await t.app.request(stream, { headers: { cookie: session.cookie, accept: 'text/event-stream' } });
    expect(await streamed(res, 2500)).not.toContain('webhook.deliveries_changed');
    const unknown = await t.app.request('/dashboard/webhooks/whk_nope/deliveries/stream', { headers: { cookie: session.cookie, accept: 'text/event-stream' } });
    expect(unknown.status).toBe(404);
  });
});
