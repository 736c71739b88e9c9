import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, DB_KINDS, TEST_API_KEY, type TestApp } from '../helpers/app.js';
import { actorOfCookie, eventsOfType, openSignIn, postSignIn, sessionCookieOf } from '../helpers/dashboard.js';

const ORIGIN = 'http://localhost';

/** Sign in through the form as a browser would; returns the cookie header to send back. */
async function signIn(t: TestApp): Promise<string> {
  const res = await postSignIn(t.app, { next: '/dashboard' });
  expect(res.status).toBe(303);
  return sessionCookieOf(res);
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

  it('refuses a wrong key, a cross-site sign-in form and one without its CSRF token', async () => {
    const crossSite = await postSignIn(t.app, {}, { origin: 'http://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get('set-cookie')).toBeNull();
    const wrong = await postSignIn(t.app, { key: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie().filter((c) => c.startsWith('berth_dashboard='))).toEqual([]);
    // The form's token is bound to the nonce cookie the sign-in page set: each one alone is refused.
    const opened = await openSignIn(t.app);
    expect(opened.cookie).toMatch(/^berth_dashboard_sign_in=[0-9a-f]{32}$/);
    expect(opened.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const post = (headers: Record<string, string>, form: Record<string, string>) =>
      t.app.request('/dashboard/sign-in', {
        method: 'POST',
        headers: { origin: ORIGIN, ...headers },
        body: new URLSearchParams({ key: TEST_API_KEY, ...form }),
      });
    const refusals = [
      await post({ cookie: opened.cookie }, {}), // no token
      await post({}, { _csrf: opened.csrf }), // no nonce cookie
      await post({ cookie: opened.cookie }, { _csrf: opened.csrf.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A')) }), // wrong token
      await post({ cookie: (await openSignIn(t.app)).cookie }, { _csrf: opened.csrf }), // another browser's token
    ];
    for (const r of refusals) {
      expect(r.status).toBe(403);
      expect(r.headers.getSetCookie().filter((c) => c.startsWith('berth_dashboard='))).toEqual([]);
      expect(await r.text()).toContain('sign-in form was refused');
    }
    // A body the form parser cannot read is a refused form too, not a 500.
    const garbled = await t.app.request('/dashboard/sign-in', {
      method: 'POST',
      headers: { origin: ORIGIN, cookie: opened.cookie, 'content-type': 'multipart/form-data; boundary=x' },
      body: '--y\r\nnot a part',
    });
    expect(garbled.status).toBe(403);
    const ok = await post({ cookie: opened.cookie }, { _csrf: opened.csrf });
    expect(ok.status).toBe(303);
    expect(ok.headers.getSetCookie().some((c) => /^berth_dashboard_sign_in=;.*Max-Age=0/.test(c))).toBe(true); // the nonce is spent
  });

  it('logs sign-in and sign-out as events with the session as actor, never the key', async () => {
    const cookie = await signIn(t);
    const actor = actorOfCookie(cookie);
    expect((await eventsOfType(t.deps.db, 'dashboard.signed_in')).map((e) => e.actor)).toContain(actor);
    const csrf = csrfOf(await (await t.app.request('/dashboard', { headers: { cookie } })).text());
    const out = await t.app.request('/dashboard/sign-out', { method: 'POST', headers: { cookie, origin: ORIGIN }, body: new URLSearchParams({ _csrf: csrf }) });
    expect(out.status).toBe(303);
    const [signedOut, ...more] = (await eventsOfType(t.deps.db, 'dashboard.signed_out')).filter((e) => e.actor === actor);
    expect(signedOut).toBeDefined();
    expect(more).toEqual([]);
    const logged = JSON.stringify([...(await eventsOfType(t.deps.db, 'dashboard.signed_in')), signedOut]);
    expect(logged).not.toContain(TEST_API_KEY);
    expect(logged).not.toContain(cookie.split('=')[1]!);
  });

  it('issues an HttpOnly SameSite=Strict cookie that carries no key, and serves pages with strict headers', async () => {
    const res = await postSignIn(t.app, { next: 'https://evil.example/' });
    expect(res.headers.get('location')).toBe('/dashboard'); // an outside `next` is not followed
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('berth_dashboard='))!;
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
