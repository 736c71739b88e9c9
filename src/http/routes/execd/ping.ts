import type { Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';
import { pingSandbox } from '../../../domain/execd/ping.js';
import { sandboxIdOf } from './index.js';

/** GET /ping: the SDK's readiness probe (any 2xx). 200 with an empty body when the container runs, else a JSON 409. */
export function registerPingRoute(app: Hono, deps: Deps): void {
  app.get('/ping', async (c) => {
    await pingSandbox(deps, sandboxIdOf(c));
    return c.body(null, 200, { 'Content-Length': '0' });
  });
}
