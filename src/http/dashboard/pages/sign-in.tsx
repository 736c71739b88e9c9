import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';
import { href, page } from '../layout.js';
import { DASHBOARD_BASE } from '../paths.js';
import { recordSignIn, revokeDashboardSession } from '../../../domain/dashboard/revocations.js';
import {
  CSRF_FIELD,
  dashboardActor,
  endSession,
  endSignIn,
  readForm,
  requireSession,
  sameOrigin,
  sessionKeys,
  signInFormOk,
  signInToken,
  startSession,
  type Keys,
} from '../session.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Only a path inside the dashboard: `next` must not send a signed-in browser to another site. */
function safeNext(next: string | undefined): string {
  return next && next.startsWith(`${DASHBOARD_BASE}`) && !next.startsWith('//') && !/[\\\r\n]/.test(next) ? next : DASHBOARD_BASE;
}

function signInPage(c: Context, keys: Keys, next: string, error?: string) {
  return page(
    c,
    { title: 'Sign in' },
    <form class="signin stack" method="post" action={href('/sign-in')}>
      <h1>Sign in to berth</h1>
      <p class="muted">Use the server's API key. It is exchanged for a session cookie and never stored in this browser.</p>
      {error && (
        <p class="notice error" role="alert">
          {error}
        </p>
      )}
      <input type="hidden" name={CSRF_FIELD} value={signInToken(c, keys)} />
      <input type="hidden" name="next" value={next} />
      <label>
        API key <input type="password" name="key" autocomplete="current-password" required autofocus />
      </label>
      <p>
        <button type="submit">Sign in</button>
      </p>
    </form>,
  );
}

/**
 * Sign-in exchanges the API key for a signed session cookie. The form is guarded by the Origin check and a
 * CSRF token of its own (signInToken: a browser has no session yet). Sign-in and sign-out are logged as
 * events with the session as actor; sign-out revokes the session in the database, so a copy of the cookie
 * is refused by every process too.
 */
export function registerSignIn(app: Hono, deps: Deps): void {
  const keys = sessionKeys(deps);
  const now = () => deps.clock.now().getTime();
  app.get(href('/sign-in'), (c) => c.html(signInPage(c, keys, safeNext(c.req.query('next')))));
  app.post(href('/sign-in'), async (c) => {
    if (!sameOrigin(c, deps.config)) return c.text('Cross-site form refused.', 403);
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>); // a malformed body is a refused form, not a 500
    const next = safeNext(typeof body.next === 'string' ? body.next : undefined);
    if (!signInFormOk(c, keys, body[CSRF_FIELD])) {
      c.status(403);
      return c.html(signInPage(c, keys, next, 'The sign-in form was refused (missing or expired token): sign in again.'));
    }
    const key = typeof body.key === 'string' ? body.key : '';
    const expected = deps.config.apiKey;
    // With no key configured (BERTH_INSECURE_NO_AUTH) the API is open anyway; the dashboard follows it.
    if (expected !== undefined && !timingSafeEqual(digest(key), digest(expected))) {
      c.status(401);
      return c.html(signInPage(c, keys, next, 'That key is not valid.'));
    }
    const session = startSession(c, keys, now());
    endSignIn(c, deps.config);
    await recordSignIn(deps, dashboardActor(session));
    deps.log.info({ actor: dashboardActor(session) }, 'dashboard session started');
    return c.redirect(next, 303);
  });
  app.post(href('/sign-out'), requireSession(keys, now), async (c) => {
    if (!(await readForm(c, deps.config))) return c.text('Form refused: missing or wrong CSRF token.', 403);
    const session = c.get('dashboardSession');
    await revokeDashboardSession(deps, session.id, new Date(session.expiresAt), dashboardActor(session));
    endSession(c, deps.config);
    deps.log.info({ actor: dashboardActor(session) }, 'dashboard session ended');
    return c.redirect(href('/sign-in'), 303);
  });
}
