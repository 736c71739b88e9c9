import { asc, eq } from 'drizzle-orm';
import { events } from '../../src/db/schema/index.js';
import type { Db } from '../../src/domain/ports.js';
import { TEST_API_KEY } from './keys.js';

/** The Origin app.request's requests come from (its URLs are http://localhost/...). */
export const DASHBOARD_ORIGIN = 'http://localhost';

type Requester = { request: (path: string, init?: RequestInit) => Response | Promise<Response> };

export type DashboardClient = {
  cookie: string;
  csrf: string;
  get: (path: string) => Promise<Response>;
  /** a form post with the session's CSRF token and this server's Origin, as the dashboard's forms send */
  post: (path: string, form?: Record<string, string>) => Promise<Response>;
};

/**
 * What a browser holds after opening the sign-in page: the nonce cookie and the form's CSRF token (the
 * sign-in form has one of its own, bound to that cookie).
 */
export async function openSignIn(app: Requester, url = '/dashboard/sign-in'): Promise<{ cookie: string; csrf: string }> {
  const res = await app.request(url);
  if (res.status !== 200) throw new Error(`sign-in page answered ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await res.text())?.[1] ?? '';
  return { cookie, csrf };
}

/** The sign-in form's post, as a browser sends it from the page openSignIn opened. */
export async function postSignIn(app: Requester, form: Record<string, string> = {}, opts: { origin?: string; url?: string } = {}): Promise<Response> {
  const opened = await openSignIn(app, opts.url);
  return app.request(opts.url ?? '/dashboard/sign-in', {
    method: 'POST',
    headers: { origin: opts.origin ?? DASHBOARD_ORIGIN, cookie: opened.cookie },
    body: new URLSearchParams({ _csrf: opened.csrf, key: TEST_API_KEY, ...form }),
  });
}

/** Sign in through the form as a browser would, and read the session's CSRF token off the overview. */
export async function signInDashboard(app: Requester): Promise<DashboardClient> {
  const res = await postSignIn(app);
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  const cookie = sessionCookieOf(res);
  const get = async (path: string) => app.request(path, { headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await get('/dashboard')).text())![1]!;
  const post = async (path: string, form: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', headers: { cookie, origin: DASHBOARD_ORIGIN }, body: new URLSearchParams({ _csrf: csrf, ...form }) });
  return { cookie, csrf, get, post };
}

/** `berth_dashboard=<value>` from a sign-in answer (which also clears the sign-in nonce cookie). */
export function sessionCookieOf(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('berth_dashboard='));
  if (!set) throw new Error('no session cookie was set');
  return set.split(';')[0]!;
}

/** The session id a dashboard cookie carries (`berth_dashboard=v1.<id>.<exp>.<mac>`): events name it as actor. */
export const actorOfCookie = (cookie: string) => `dashboard:${/=v1\.([0-9a-f]{32})\./.exec(cookie)![1]}`;

/** Every logged event of one type, oldest first. */
export async function eventsOfType(db: Db, type: string) {
  return db.select().from(events).where(eq(events.type, type)).orderBy(asc(events.seq));
}
