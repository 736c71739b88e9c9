import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { parse as parseCookie } from 'hono/utils/cookie';
import type { Config } from '../../config.js';
import { isDashboardSessionRevoked } from '../../domain/dashboard/revocations.js';
import type { DashboardSigner } from '../../domain/dashboard/signer-port.js';
import type { Deps } from '../../domain/deps.js';
import { DASHBOARD_BASE } from './paths.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** the signed-in dashboard session (set by requireSession) */
    dashboardSession: DashboardSession;
  }
}

export type DashboardSession = { id: string; expiresAt: number; csrf: string };

/** How often an open event stream or terminal asks whether its session was signed out (here or at another process). */
export const SESSION_RECHECK_MS = 5000;

export const SESSION_COOKIE = 'berth_dashboard';
export const CSRF_FIELD = '_csrf';
/** The sign-in form's nonce (see signInToken); its own cookie, sent to the sign-in path only. */
export const SIGN_IN_COOKIE = 'berth_dashboard_sign_in';
const SIGN_IN_PATH = `${DASHBOARD_BASE}/sign-in`;
/** Long enough to type a key; a page left open longer is reloaded (its refusal says so). */
const SIGN_IN_SECONDS = 3600;
/** An operator signs in once a working day; a stolen cookie stops working by itself after that. */
const SESSION_SECONDS = 8 * 3600;

export type Keys = {
  signer: DashboardSigner;
  config: Pick<Config, 'apiKey' | 'publicUrl'>;
  /** whether a session was signed out (src/domain/dashboard/revocations.ts) */
  revoked: (sessionId: string) => Promise<boolean>;
};

export const sessionKeys = (deps: Pick<Deps, 'dashboardSigner' | 'config' | 'db'>): Keys => ({
  signer: deps.dashboardSigner,
  config: deps.config,
  revoked: (id) => isDashboardSessionRevoked(deps, id),
});

/**
 * The cookie is `v1.<session id>.<expiry seconds>.<mac>`. The MAC also covers a digest of the API key, so
 * changing the key signs every dashboard out; the key itself is never in the cookie, the page or a URL.
 */
function macOf(keys: Keys, id: string, exp: number): string {
  const keyDigest = createHash('sha256')
    .update(keys.config.apiKey ?? '')
    .digest('base64url');
  return keys.signer.session(`v1.${id}.${exp}.${keyDigest}`);
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** A session cookie's value, verified (signature, key binding, expiry); null when it is not a live session. */
function verifySession(raw: string | undefined, keys: Keys, nowMs: number): DashboardSession | null {
  const m = raw ? /^v1\.([0-9a-f]{32})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(raw) : null;
  if (!m) return null;
  const [, id, expText, mac] = m as unknown as [string, string, string, string];
  const exp = Number(expText);
  if (!sameText(mac, macOf(keys, id, exp)) || exp * 1000 <= nowMs) return null;
  return { id, expiresAt: exp * 1000, csrf: keys.signer.csrf(id) };
}

/** A verified cookie that was not signed out. The signature is checked first: a forged one costs no query. */
async function liveSession(raw: string | undefined, keys: Keys, nowMs: number): Promise<DashboardSession | null> {
  const session = verifySession(raw, keys, nowMs);
  return session && !(await keys.revoked(session.id)) ? session : null;
}

export const readSession = (c: Context, keys: Keys, nowMs: number) => liveSession(getCookie(c, SESSION_COOKIE), keys, nowMs);

/** The same from a raw Cookie header, for the WebSocket upgrade (which never reaches Hono). */
export async function sessionFromCookieHeader(header: string | undefined, keys: Keys, nowMs: number): Promise<DashboardSession | null> {
  return header ? liveSession(parseCookie(header, SESSION_COOKIE)[SESSION_COOKIE], keys, nowMs) : null;
}

/** Secure when the dashboard is reached over https (directly or as BERTH_PUBLIC_URL says). */
function isHttps(c: Context, config: Pick<Config, 'publicUrl'>): boolean {
  return new URL(c.req.url).protocol === 'https:' || (config.publicUrl ?? '').startsWith('https:');
}

export function startSession(c: Context, keys: Keys, nowMs: number): DashboardSession {
  const id = randomBytes(16).toString('hex');
  const exp = Math.floor(nowMs / 1000) + SESSION_SECONDS;
  // Path=/ so the terminal's WebSocket on the execd path (/sandboxes/{id}/proxy/44772/pty/...) carries it;
  // the server proxy strips cookies before forwarding to a sandbox, so no sandbox service ever sees it.
  setCookie(c, SESSION_COOKIE, `v1.${id}.${exp}.${macOf(keys, id, exp)}`, {
    path: '/',
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c, keys.config),
    maxAge: SESSION_SECONDS,
  });
  return { id, expiresAt: exp * 1000, csrf: keys.signer.csrf(id) };
}

/**
 * The sign-in form's CSRF token. A browser has no session yet, so the token is bound to a random value in a
 * cookie of its own (HttpOnly, SameSite=Strict, sent to the sign-in path only): another site can neither read
 * the token off the page nor make a browser send the cookie, so it cannot sign a browser in as itself (login
 * CSRF), on top of the Origin check. The page sets the cookie when the browser has none.
 */
export function signInToken(c: Context, keys: Keys): string {
  let nonce = getCookie(c, SIGN_IN_COOKIE);
  if (!nonce || !/^[0-9a-f]{32}$/.test(nonce)) {
    nonce = randomBytes(16).toString('hex');
    setCookie(c, SIGN_IN_COOKIE, nonce, {
      path: SIGN_IN_PATH,
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c, keys.config),
      maxAge: SIGN_IN_SECONDS,
    });
  }
  return keys.signer.csrf(`sign-in.${nonce}`);
}

/** Whether a sign-in post carries the token of the nonce cookie its browser holds (and comes from this origin). */
export function signInFormOk(c: Context, keys: Keys, token: unknown): boolean {
  const nonce = getCookie(c, SIGN_IN_COOKIE);
  if (!sameOrigin(c, keys.config) || !nonce || typeof token !== 'string') return false;
  return sameText(token, keys.signer.csrf(`sign-in.${nonce}`));
}

/** After a sign-in the nonce has done its work: a new sign-in page gets a new one. */
export const endSignIn = (c: Context, config: Pick<Config, 'publicUrl'>) =>
  deleteCookie(c, SIGN_IN_COOKIE, { path: SIGN_IN_PATH, httpOnly: true, sameSite: 'Strict', secure: isHttps(c, config) });

/** Clears the browser's cookie; sign-out also revokes the session itself (revokeDashboardSession). */
export function endSession(c: Context, config: Pick<Config, 'publicUrl'>): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c, config) });
}

/** The actor recorded in events for what a dashboard session did (never the key). */
export const dashboardActor = (s: DashboardSession) => `dashboard:${s.id}`;

/**
 * Whether a browser's Origin header names this server: its host (and port) must be the one clients reach
 * berth at, BERTH_PUBLIC_URL's when set (it may be written without a scheme), else the request's Host.
 * Hosts, not schemes, are compared, so a TLS-terminating proxy in front (Origin https:, request http:)
 * needs no extra setting. A missing or unparseable Origin is refused.
 */
export function originIsOwn(origin: string | undefined, publicUrl: string | undefined, requestHost: string | undefined): boolean {
  if (!origin) return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const own = publicUrl ? hostOf(publicUrl) : requestHost;
  return own !== undefined && own !== '' && host === own.toLowerCase();
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`).host;
  } catch {
    return undefined;
  }
}

/** A browser states where a POST comes from; a cross-site one (or one that hides it) is refused. */
export function sameOrigin(c: Context, config: Pick<Config, 'publicUrl'>): boolean {
  return originIsOwn(c.req.header('origin'), config.publicUrl, new URL(c.req.url).host);
}

/**
 * Every dashboard page but sign-in needs a session: a page request without one is sent to sign-in, a
 * fragment or stream request gets 401. A state-changing request also needs the same origin and the
 * session's CSRF token in the form (checked by the handler's form parse: see readForm).
 */
export function requireSession(keys: Keys, now: () => number): MiddlewareHandler {
  return async (c, next) => {
    const session = await readSession(c, keys, now());
    if (!session) {
      if (c.req.method === 'GET' && !c.req.header('x-berth-fragment') && c.req.header('accept') !== 'text/event-stream') {
        const back = new URL(c.req.url);
        return c.redirect(`${DASHBOARD_BASE}/sign-in?next=${encodeURIComponent(back.pathname + back.search)}`, 303);
      }
      return c.text('Sign in first.', 401);
    }
    c.set('dashboardSession', session);
    return next();
  };
}

/**
 * The form body of a state-changing request, after the origin and CSRF checks; null when either fails
 * (the caller answers 403 and changes nothing).
 */
export async function readForm(c: Context, config: Pick<Config, 'publicUrl'>): Promise<Record<string, string> | null> {
  if (!sameOrigin(c, config)) return null;
  const body = await c.req.parseBody().catch(() => null);
  if (!body) return null;
  const form: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') form[k] = v;
  const session = c.get('dashboardSession');
  const token = form[CSRF_FIELD];
  if (!session || !token || !sameText(token, session.csrf)) return null;
  return form;
}
