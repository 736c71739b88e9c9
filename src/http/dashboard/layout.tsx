import type { Context } from 'hono';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { ASSETS } from './assets.js';
import { DASHBOARD_BASE } from './paths.js';
import { CSRF_FIELD } from './session.js';

/** What a page or a part of one renders to (hono/jsx, escaped by default). */
export type Html = JSX.Element;

export type NavKey = 'overview' | 'sandboxes' | 'mounts' | 'webhooks' | 'events';

const NAV: [NavKey, string, string][] = [
  ['overview', 'Overview', ''],
  ['sandboxes', 'Sandboxes', '/sandboxes'],
  ['mounts', 'Mounts', '/mounts'],
  ['webhooks', 'Webhooks', '/webhooks'],
  ['events', 'Events', '/events'],
];

export const href = (path: string) => `${DASHBOARD_BASE}${path}`;

/** The session's CSRF token as a hidden field: every state-changing form carries one. */
export const csrfField = (c: Context) => <input type="hidden" name={CSRF_FIELD} value={c.get('dashboardSession').csrf} />;

/** A state-changing form: a POST to the dashboard that carries the session's CSRF token. */
export const PostForm = (props: { c: Context; action: string; class?: string; children?: Child }) => (
  <form class={props.class} method="post" action={props.action}>
    {csrfField(props.c)}
    {props.children}
  </form>
);

/** One action as one button (pause, send a test, redeliver, ...): its own form, so it works without script. */
export const ActionButton = (props: { c: Context; action: string; label: string; class?: string }) => (
  <PostForm c={props.c} action={props.action} class="inline">
    <button type="submit" class={props.class ?? 'secondary'}>
      {props.label}
    </button>
  </PostForm>
);

export type PageOptions = {
  title: string;
  nav?: NavKey;
  /** the dashboard event stream this page listens to (see stream.ts); its live regions re-render on each event */
  stream?: string;
};

/** The page shell: one stylesheet, one script, both from the package; no inline script or style. */
export function page(c: Context, opts: PageOptions, content: Html): Html {
  const session = c.get('dashboardSession');
  const notice = c.req.query('ok');
  const problem = c.req.query('error');
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{opts.title} · berth</title>
          <link rel="stylesheet" href={ASSETS.css.path} />
          <script src={ASSETS.js.path} defer></script>
        </head>
        <body data-stream={opts.stream ?? ''}>
          <a class="skip" href="#main">
            Skip to content
          </a>
          {session && (
            <header class="top">
              <span class="brand">berth</span>
              <nav aria-label="Main">
                {NAV.map(([key, label, path]) => (
                  <a href={href(path)} aria-current={key === opts.nav ? 'page' : undefined}>
                    {label}
                  </a>
                ))}
              </nav>
              <span id="live-status" role="status">
                {opts.stream ? 'connecting…' : ''}
              </span>
              <PostForm c={c} action={href('/sign-out')}>
                <button type="submit">Sign out</button>
              </PostForm>
            </header>
          )}
          <main id="main" tabindex={-1}>
            {notice && (
              <p class="notice" role="status">
                {notice}
              </p>
            )}
            {problem && (
              <p class="notice error" role="alert">
                {problem}
              </p>
            )}
            {content}
          </main>
        </body>
      </html>
    </>
  );
}

/** A state as text with a shape (CSS adds it), so it reads without colour. */
export const stateBadge = (state: string) => <span class={`state s-${state.replace(/[^A-Za-z]/g, '')}`}>{state}</span>;

export const when = (iso: string | Date | null | undefined) => {
  if (!iso) return '—';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return <time datetime={d.toISOString()}>{d.toISOString().replace('T', ' ').slice(0, 19)}Z</time>;
};

/** After a form post: back to a page, with a notice or an error shown there (Post/Redirect/Get). */
export function backTo(c: Context, path: string, message: { ok?: string; error?: string }): Response {
  const url = new URL(href(path), 'http://x');
  if (message.ok) url.searchParams.set('ok', message.ok);
  if (message.error) url.searchParams.set('error', message.error);
  return c.redirect(url.pathname + url.search, 303);
}
