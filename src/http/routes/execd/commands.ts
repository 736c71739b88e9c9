import type { Hono } from 'hono';
import { z } from 'zod';
import type { Deps } from '../../../domain/deps.js';
import { invalid } from '../../../domain/errors.js';
import { interruptCommand } from '../../../domain/execd/commands/interrupt.js';
import { commandLogs } from '../../../domain/execd/commands/logs.js';
import { startCommand } from '../../../domain/execd/commands/run.js';
import { commandStatus } from '../../../domain/execd/commands/status.js';
import { opt, readBody, requiredQuery, timeoutMs } from './body.js';
import { sandboxIdOf } from './index.js';
import { eventStream } from './sse.js';

const int = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

/** upstream's RunCommandRequest (DESIGN.md execd §4.1); timeout in milliseconds */
export const RunCommandBody = z.object({
  command: z.string(),
  cwd: opt(z.string()),
  background: opt(z.boolean()),
  timeout: timeoutMs,
  uid: opt(int),
  gid: opt(int),
  envs: opt(z.record(z.string(), z.string())),
});

export function registerCommandRoutes(app: Hono, deps: Deps): void {
  app.post('/command', async (c) => {
    const b = await readBody(c, RunCommandBody);
    const input = {
      command: b.command,
      background: b.background ?? false,
      envs: b.envs ?? {},
      ...(b.cwd !== undefined && { cwd: b.cwd }),
      ...(b.timeout && { timeoutMs: b.timeout }),
      ...(b.uid !== undefined && { uid: b.uid }),
      ...(b.gid !== undefined && { gid: b.gid }),
    };
    const prepared = await startCommand(deps, sandboxIdOf(c), input);
    return eventStream(c, deps.log, prepared.run);
  });

  app.delete('/command', async (c) => {
    await interruptCommand(deps, sandboxIdOf(c), requiredQuery(c, 'id'));
    return c.body(null, 200, { 'Content-Length': '0' });
  });

  app.get('/command/status/:id', async (c) => {
    const s = await commandStatus(deps, sandboxIdOf(c), c.req.param('id'));
    return c.json({
      id: s.id,
      content: s.content,
      running: s.running,
      ...(s.exitCode !== null && { exit_code: s.exitCode }),
      ...(s.error !== null && { error: s.error }),
      started_at: s.startedAt.toISOString(),
      finished_at: s.finishedAt?.toISOString() ?? null,
    });
  });

  app.get('/command/:id/logs', async (c) => {
    const raw = c.req.query('cursor');
    if (raw !== undefined && !/^\d{1,15}$/.test(raw)) throw invalid('INVALID_REQUEST_BODY', 'cursor must be a non-negative integer (a byte offset).');
    const { output, cursor, truncated } = await commandLogs(deps, sandboxIdOf(c), c.req.param('id'), raw === undefined ? 0 : Number(raw));
    return c.body(new Uint8Array(output), 200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(output.length),
      'EXECD-COMMANDS-TAIL-CURSOR': String(cursor),
      // berth's own: the log reached its bound and the sandbox dropped what came after (DESIGN.md execd §4.2)
      ...(truncated && { 'EXECD-COMMANDS-LOG-TRUNCATED': 'true' }),
    });
  });
}
