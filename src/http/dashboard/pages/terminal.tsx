import type { Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';
import { openTerminal } from '../../../domain/dashboard/sandbox-access.js';
import { getSandbox } from '../../../domain/sandbox/get-sandbox.js';
import { PROXY_PORT } from '../../../domain/sandbox/endpoint.js';
import { runAction } from '../actions.js';
import { href, page } from '../layout.js';
import { pathParam } from '../params.js';

/**
 * A terminal over execd's PTY sessions. The session is made by the PTY domain verb (its opening logged with
 * the dashboard session as actor); the browser then opens
 * execd's own WebSocket (/sandboxes/{id}/proxy/44772/pty/{session}/ws), which accepts the dashboard session
 * cookie from this origin (src/http/proxy/pty-upgrade.ts), so the key never reaches the browser.
 */
export function registerTerminal(app: Hono, deps: Deps): void {
  app.post(href('/sandboxes/:id/terminal'), (c) =>
    runAction(c, deps.config, `/sandboxes/${pathParam(c)}`, async ({ actor }) => {
      const { session_id } = await openTerminal(deps, pathParam(c), actor);
      return { to: `/sandboxes/${pathParam(c)}/terminal/${session_id}`, ok: 'Terminal opened.' };
    }),
  );
  app.get(href('/sandboxes/:id/terminal/:session'), async (c) => {
    const s = await getSandbox(deps, pathParam(c));
    const ws = `/sandboxes/${encodeURIComponent(s.id)}/proxy/${PROXY_PORT}/pty/${encodeURIComponent(pathParam(c, 'session'))}/ws`;
    const content = (
      <>
        <h1>
          Terminal in{' '}
          <a class="mono" href={href(`/sandboxes/${s.id}`)}>
            {s.id}
          </a>
        </h1>
        <p class="muted">Type a command and press Enter. Ctrl-C in the input sends an interrupt.</p>
        <pre class="log" id="terminal" data-ws={ws} aria-live="polite" aria-label="Terminal output" tabindex={0}></pre>
        <form id="terminal-input" class="filters">
          <label>
            Command <input type="text" name="line" autocomplete="off" spellcheck={false} />
          </label>
          <button type="submit">Send</button>
          <span role="status" id="terminal-status">
            connecting…
          </span>
        </form>
      </>
    );
    return c.html(page(c, { title: `Terminal ${s.id}`, nav: 'sandboxes' }, content));
  });
}
