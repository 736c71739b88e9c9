import { z } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import type { Deps } from '../../../domain/deps.js';
import { invalid } from '../../../domain/errors.js';
import { createPtySession, deletePtySession, ptyStatus } from '../../../domain/execd/pty/verbs.js';
import { errorJson } from '../../errors.js';
import { sandboxIdOf } from './index.js';

const CreatePty = z.object({ cwd: z.string().optional(), command: z.string().optional() }).passthrough();

/**
 * The PTY REST half (upstream PTY.md). The WebSocket, GET /pty/{id}/ws, is answered by the node server's
 * upgrade listener (src/http/proxy/pty-upgrade.ts): a request that reaches this app without an upgrade gets
 * a 400, as upstream's gorilla upgrader answers a plain GET.
 */
export function registerPtyRoutes(app: Hono, deps: Deps): void {
  app.post('/pty', async (c) => {
    const body = CreatePty.safeParse(await optionalJson(await c.req.text()));
    if (!body.success) throw invalid('INVALID_REQUEST_BODY', 'error parsing request: cwd and command must be strings');
    return c.json(await createPtySession(deps, sandboxIdOf(c), body.data), 201);
  });

  app.get('/pty/:ptyId', async (c) => c.json(await ptyStatus(deps, sandboxIdOf(c), c.req.param('ptyId'))));

  app.delete('/pty/:ptyId', async (c) => {
    await deletePtySession(deps, sandboxIdOf(c), c.req.param('ptyId'));
    return c.body(null, 200, { 'Content-Length': '0' });
  });

  app.get('/pty/:ptyId/ws', (c) =>
    errorJson(c, 400, 'INVALID_REQUEST_BODY', 'This endpoint needs a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket).'),
  );
}

/** Upstream accepts an empty body (io.EOF) as "no options"; anything else must be a JSON object. */
function optionalJson(text: string): unknown {
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid('INVALID_REQUEST_BODY', 'error parsing request: the body is not JSON');
  }
}
