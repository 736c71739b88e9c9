import { and, eq, isNull } from 'drizzle-orm';
import { execdCommands, type ExecdCommandRow } from '../../../db/schema/index.js';
import type { Deps } from '../../deps.js';
import { notFound } from '../../errors.js';
import type { CommandKind } from './types.js';

type D = Pick<Deps, 'db' | 'clock'>;

export type { ExecdCommandRow };

export async function insertCommand(
  deps: D & Pick<Deps, 'ids'>,
  row: { sandboxId: string; command: string; kind: CommandKind; logPath?: string; timeoutMs?: number },
): Promise<ExecdCommandRow> {
  const now = deps.clock.now();
  const [inserted] = await deps.db
    .insert(execdCommands)
    .values({
      id: deps.ids.prefixed('cmd'),
      sandboxId: row.sandboxId,
      command: row.command,
      kind: row.kind,
      logPath: row.logPath ?? null,
      startedAt: now,
      deadlineAt: row.timeoutMs ? new Date(now.getTime() + row.timeoutMs) : null,
    })
    .returning();
  return inserted!;
}

export async function recordExec(deps: D, id: string, execId: string, hostPid: number, logPath?: string): Promise<void> {
  await deps.db
    .update(execdCommands)
    .set({ execId, hostPid, ...(logPath !== undefined && { logPath }) })
    .where(eq(execdCommands.id, id));
}

/** The first finish wins: a status read and the stream that ran the command may both observe the exit. */
export async function recordFinish(deps: D, id: string, exitCode: number | null, error: string | null): Promise<ExecdCommandRow | undefined> {
  const [row] = await deps.db
    .update(execdCommands)
    .set({ finishedAt: deps.clock.now(), exitCode, error })
    .where(and(eq(execdCommands.id, id), isNull(execdCommands.finishedAt)))
    .returning();
  return row;
}

export async function markKilledByBerth(deps: Pick<Deps, 'db'>, id: string, reason: string): Promise<void> {
  await deps.db.update(execdCommands).set({ killedByBerth: true, error: reason }).where(eq(execdCommands.id, id));
}

export async function findCommand(deps: Pick<Deps, 'db'>, sandboxId: string, id: string): Promise<ExecdCommandRow> {
  const [row] = await deps.db
    .select()
    .from(execdCommands)
    .where(and(eq(execdCommands.id, id), eq(execdCommands.sandboxId, sandboxId)))
    .limit(1);
  // upstream answers an unknown command id 404 INVALID_REQUEST_BODY (DESIGN.md execd §4.3)
  if (!row) throw notFound('INVALID_REQUEST_BODY', `No command ${id} in this sandbox.`);
  return row;
}

export async function getCommandRow(deps: Pick<Deps, 'db'>, id: string): Promise<ExecdCommandRow | undefined> {
  const [row] = await deps.db.select().from(execdCommands).where(eq(execdCommands.id, id)).limit(1);
  return row;
}
