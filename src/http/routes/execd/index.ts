import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Deps } from '../../../domain/deps.js';
import { PROXY_PORT } from '../../../domain/sandbox/port-route.js';
import { errorJson, handleError } from '../../errors.js';
import { refuseUnstorableText } from '../../middleware/text-guard.js';
import { registerCodeRoutes } from './code.js';
import { registerCommandRoutes } from './commands.js';
import { registerFileRoutes } from './files.js';
import { registerMetricsRoutes } from './metrics.js';
import { registerPingRoute } from './ping.js';
import { registerPtyRoutes } from './pty.js';
import { registerSessionRoutes } from './sessions.js';

/** Where berth serves execd: the execd port of every sandbox, under the server-proxy path shape, at / and /v1. */
export const EXECD_MOUNTS = [`/sandboxes/:sandboxId/proxy/${PROXY_PORT}`, `/v1/sandboxes/:sandboxId/proxy/${PROXY_PORT}`];

/**
 * execd, served by berth itself over the Docker Engine API (src/DESIGN.md, "execd, served by berth"): the SDK's commands/files/metrics
 * clients talk to `<berth>/sandboxes/{id}/proxy/44772` as if it were the in-container daemon. Auth is the
 * server's API key (the SDK sends it on every execd call). Mounted before the server proxy, so port 44772 is
 * never forwarded into the container.
 */
export function registerExecdRoutes(app: Hono, deps: Deps): void {
  const execd = new Hono();
  execd.onError(handleError(deps.log));
  // JSON bodies are small; uploads have their own, larger limit (files.ts streams them to a spool file).
  const jsonLimit = bodyLimit({
    maxSize: deps.config.execdMaxJsonBytes,
    onError: (c) => errorJson(c, 413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${deps.config.execdMaxJsonBytes} bytes.`),
  });
  execd.use('*', async (c, next) => (c.req.path.endsWith('/files/upload') ? next() : jsonLimit(c, next)));
  // A NUL or lone surrogate in the path, query or a JSON body (never an upload's bytes): 400, not a 500 later.
  const textGuard = refuseUnstorableText('INVALID_REQUEST_BODY', { body: true });
  const urlGuard = refuseUnstorableText('INVALID_REQUEST_BODY', { body: false });
  execd.use('*', async (c, next) => (c.req.path.endsWith('/files/upload') ? urlGuard(c, next) : textGuard(c, next)));
  registerPingRoute(execd, deps);
  registerCommandRoutes(execd, deps);
  registerSessionRoutes(execd, deps);
  registerFileRoutes(execd, deps);
  registerMetricsRoutes(execd, deps);
  registerPtyRoutes(execd, deps);
  registerCodeRoutes(execd);
  execd.all('*', (c) => errorJson(c, 404, 'NOT_FOUND', `No execd route ${c.req.method} ${c.req.path.replace(/^.*\/proxy\/\d+/, '')}.`));
  for (const mount of EXECD_MOUNTS) app.route(mount, execd);
}

/** The sandbox id of an execd request (the mount path's parameter). */
export const sandboxIdOf = (c: { req: { param(name: string): string | undefined } }): string => c.req.param('sandboxId') ?? '';
