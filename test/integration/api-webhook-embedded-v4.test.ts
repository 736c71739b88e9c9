import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, DB_KINDS, type TestApp } from '../helpers/app.js';

// Webhook URLs whose IPv6 host carries a blocked IPv4 address (mapped, translated, compatible, NAT64, 6to4,
// Teredo) are refused at registration and on update through the whole app, and nothing is stored.

const EMBEDDED = [
  'http://[::ffff:0:7f00:1]/',
  'http://[::ffff:0:127.0.0.1]:8080/hook',
  'http://[::ffff:a9fe:a9fe]/latest/meta-data',
  'http://[::10.0.0.1]/',
  'http://[64:ff9b::169.254.169.254]/',
  'http://[64:ff9b:1::a00:1]/',
  'http://[2002:7f00:1::1]/',
  'https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/',
];

describe.each(DB_KINDS)('webhook URLs embedding a blocked IPv4 address on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind, { config: { webhookAllowPrivate: false } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(EMBEDDED)('create %s: 400 WEBHOOK::URL_NOT_ALLOWED, nothing stored', async (url) => {
    const res = await t.call('POST', '/v1/webhooks', { url });
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(JSON.parse(text)).toEqual({ code: 'WEBHOOK::URL_NOT_ALLOWED', message: expect.any(String) });
    expect((await (await t.call('GET', '/v1/webhooks')).json()).items).toEqual([]);
  });

  it('update to such a URL is refused and the stored URL stays', async () => {
    const created = await t.call('POST', '/v1/webhooks', { url: 'https://[2002:808:808::1]/hook' });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = await created.json();
    for (const url of EMBEDDED) {
      const res = await t.call('PATCH', `/v1/webhooks/${id}`, { url });
      expect(res.status, url).toBe(400);
      expect((await res.json()).code).toBe('WEBHOOK::URL_NOT_ALLOWED');
    }
    expect((await (await t.call('GET', `/v1/webhooks/${id}`)).json()).url).toBe('https://[2002:808:808::1]/hook');
    expect((await t.call('DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
  });
});
