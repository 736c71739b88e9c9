import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, DB_KINDS, TEST_API_KEY, type TestApp } from '../helpers/app.js';

const ORIGIN = 'http://localhost';

/** Sign in through the form as a browser would; returns the cookie header to send back. */
async function signIn(t: TestApp): Promise<string> {
  const res = await t.app.request('/dashboard/sign-in', {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key: TEST_API_KEY, next: '/dashboard' }),
  });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0]!;
}

const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

describe.each(DB_KINDS)('dashboard session on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind);
  });
  afterAll(() => t.close());

  it('sends a page request without a session to sign-in, and answers the sign-in page without a key', async () => {
    const res = await t.app.request('/dashboard/sandboxes?state=Running');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/sign-in?next=%2Fdashboard%2Fsandboxes%3Fstate%3DRunning');
    const signin = await t.app.request('/dashboard/sign-in');
    expect(signin.status).toBe(200);
    expect(await signin.text()).toContain('name="key"');
    expect((await t.app.request('/dashboard/stream', { headers: { accept: 'text/event-stream' } })).status).toBe(401);
  });

  it('refuses a wrong key and a cross-site sign-in form', async () => {
    const form = new URLSearchParams({ key: TEST_API_KEY });
    const crossSite = await t.app.request('/dashboard/sign-in', { method: 'POST', headers: { origin: 'http://evil.example' }, body: form });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get('set-cookie')).toBeNull();
    const wrong = await t.app.request('/dashboard/sign-in', { method: 'POST', headers: { origin: ORIGIN }, body: new URLSearchParams({ key: 'nope' }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('issues an HttpOnly SameSite=Strict cookie that carries no key, and serves pages with strict headers', async () => {
    const res = await t.app.request('/dashboard/sign-in', {
      method: 'POST',
      headers: { origin: ORIGIN },
      body: new URLSearchParams({ key: TEST_API_KEY, next: 'https://evil.example/' }),
    });
    expect(res.headers.get('location')).toBe('/dashboard'); // an outside `next` is not followed
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/;/);
    expect(setCookie).not.toContain(TEST_API_KEY);
    const cookie = setCookie.split(';')[0]!;
    const overview = await t.app.request('/dashboard', { headers: { cookie } });
    expect(overview.status).toBe(200);
    const body = await overview.text();
    expect(body).not.toContain(TEST_API_KEY);
    const csp = overview.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(overview.headers.get('x-frame-options')).toBe('DENY');
    expect(body).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
  });

  it('refuses a tampered or foreign cookie', async () => {
    const cookie = await signIn(t);
    const tampered = cookie.replace(/\.(\d+)\./, (_m, exp) => `.${Number(exp) + 1000}.`);
    expect((await t.app.request('/dashboard', { headers: { cookie: tampered } })).status).toBe(303);
    const other = await buildTestApp('pglite', { config: { apiKey: 'another-key-entirely' } });
    try {
      expect((await other.app.request('/dashboard', { headers: { cookie } })).status).toBe(303);
    } finally {
      await other.close();
    }
  });

  it('accepts a session made by another app over the same server key (a second process)', async () => {
    const cookie = await signIn(t);
    const second = await buildTestApp('pglite');
    try {
      expect((await second.app.request('/dashboard', { headers: { cookie } })).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('refuses a form without the CSRF token or from another origin; signs out with both', async () => {
    const cookie = await signIn(t);
    const csrf = csrfOf(await (await t.app.request('/dashboard', { headers: { cookie } })).text());
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const noToken = await t.app.request('/dashboard/sign-out', { method: 'POST', headers: { cookie, origin: ORIGIN }, body: new URLSearchParams({}) });
    expect(noToken.status).toBe(403);
    const crossSite = await t.app.request('/dashboard/sign-out', {
      method: 'POST',
      headers: { cookie, origin: 'http://evil.example' },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(crossSite.status).toBe(403);
    const out = await t.app.request('/dashboard/sign-out', { method: 'POST', headers: { cookie, origin: ORIGIN }, body: new URLSearchParams({ _csrf: csrf }) });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/berth_dashboard=;.*Max-Age=0/);
  });

  it('serves its assets from the package with a content hash and a long cache', async () => {
    const html = await (await t.app.request('/dashboard/sign-in')).text();
    const js = /src="(\/dashboard\/assets\/app-[0-9a-f]{12}\.js)"/.exec(html)?.[1];
    const css = /href="(\/dashboard\/assets\/app-[0-9a-f]{12}\.css)"/.exec(html)?.[1];
    expect(js && css).toBeTruthy();
    const res = await t.app.request(js!);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(res.headers.get('content-type')).toContain('javascript');
    expect((await t.app.request(css!)).status).toBe(200);
  });
});
