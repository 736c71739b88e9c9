import type { Hono } from 'hono';
import { z } from 'zod';
import type { Deps } from '../../../domain/deps.js';
import { createSession, deleteSession, startSessionRun } from '../../../domain/execd/sessions.js';
import { opt, readBody, timeoutMs } from './body.js';
import { sandboxIdOf } from './index.js';
import { eventStream } from './sse.js';

const CreateSessionBody = z.object({ cwd: opt(z.string()) });
const RunInSessionBody = z.object({
  command: z.string(),
  cwd: opt(z.string()),
  timeout: timeoutMs,
});

/** Bash-style sessions (DESIGN.md execd §5): saved environment and directory, one fresh shell per run. */
export function registerSessionRoutes(app: Hono, deps: Deps): void {
  app.post('/session', async (c) => {
    const b = await readBody(c, CreateSessionBody, { optional: true });
    const { sessionId } = await createSession(deps, sandboxIdOf(c), b.cwd);
    return c.json({ session_id: sessionId });
  });

  app.post('/session/:id/run', async (c) => {
    const b = await readBody(c, RunInSessionBody);
    const prepared = await startSessionRun(deps, sandboxIdOf(c), c.req.param('id'), {
      command: b.command,
      ...(b.cwd !== undefined && { cwd: b.cwd }),
      ...(b.timeout && { timeoutMs: b.timeout }),
    });
    return eventStream(c, deps.log, prepared.run);
  });

  app.delete('/session/:id', async (c) => {
    await deleteSession(deps, sandboxIdOf(c), c.req.param('id'));
    return c.body(null, 200, { 'Content-Length': '0' });
  });
}
