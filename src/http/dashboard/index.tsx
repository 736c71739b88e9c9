import { Hono } from 'hono';
import { except } from 'hono/combine';
import type { Deps } from '../../domain/deps.js';
import { isDomainError } from '../../domain/errors.js';
import { describeUnexpected, handleNotFound, STATUS_BY_KIND } from '../errors.js';
import { ASSETS, registerDashboardAssets } from './assets.js';
import { dashboardHeaders } from './headers.js';
import { href, page } from './layout.js';
import { registerEventTail } from './pages/events.js';
import { registerFilePages } from './pages/files.js';
import { registerLogStream } from './pages/logs.js';
import { registerMountPages } from './pages/mounts.js';
import { registerOverview } from './pages/overview.js';
import { registerSandboxPage } from './pages/sandbox.js';
import { registerSandboxActions } from './pages/sandbox-actions.js';
import { registerSandboxList } from './pages/sandboxes.js';
import { registerTerminal } from './pages/terminal.js';
import { registerWebhookPages } from './pages/webhooks.js';
import { registerSignIn } from './pages/sign-in.js';
import { requireSession, sessionKeys } from './session.js';
import { registerDashboardStream } from './stream.js';
import { DASHBOARD_BASE } from './paths.js';
import { hostOf, isDashboardHost } from './dashboard-host.js';

const PUBLIC_PATHS = new Set([href('/sign-in'), ASSETS.js.path, ASSETS.css.path]);

/**
 * The operator dashboard at /dashboard: server-rendered pages (hono/jsx), one small script for
 * live updates, reading and writing through the same domain verbs as the API. The API key check in app.ts
 * leaves these paths to the session check here.
 */
export function registerDashboard(app: Hono, deps: Deps): void {
  const dash = new Hono();
  const keys = sessionKeys(deps);
  const now = () => deps.clock.now().getTime();
  // Mounted at the root (its paths are absolute): a '*' middleware would also wrap every request no earlier
  // route answered (/openapi.json, unknown paths). '/dashboard/*' matches /dashboard itself too.
  const scope = `${DASHBOARD_BASE}/*`;
  // With a host of its own, the dashboard is not there on any other (the API host serves sandbox content).
  dash.use(scope, async (c, next) => (deps.config.dashboardHost && !isDashboardHost(hostOf(c), deps.config) ? handleNotFound(c) : next()));
  dash.use(scope, dashboardHeaders());
  dash.use(
    scope,
    except((c) => PUBLIC_PATHS.has(c.req.path), requireSession(keys, now)),
  );
  dash.onError((err, c) => {
    if (isDomainError(err)) {
      c.status(STATUS_BY_KIND[err.kind]);
      return c.html(
        page(
          c,
          { title: 'Error' },
          <>
            <h1>{err.code}</h1>
            <p>{err.message}</p>
            <p>
              <a href={href('')}>Back to the overview</a>
            </p>
          </>,
        ),
      );
    }
    deps.log.error({ err: describeUnexpected(err) }, 'dashboard page failed');
    c.status(500);
    return c.html(
      page(
        c,
        { title: 'Error' },
        <>
          <h1>Something went wrong</h1>
          <p>The error was logged.</p>
        </>,
      ),
    );
  });
  registerDashboardAssets(dash);
  registerSignIn(dash, deps);
  registerDashboardStream(dash, deps, href('/stream'));
  registerOverview(dash, deps);
  registerSandboxList(dash, deps);
  registerSandboxActions(dash, deps);
  registerTerminal(dash, deps);
  registerFilePages(dash, deps);
  registerLogStream(dash, deps);
  registerSandboxPage(dash, deps);
  registerMountPages(dash, deps);
  registerWebhookPages(dash, deps);
  registerEventTail(dash, deps);
  app.route('/', dash);
}
