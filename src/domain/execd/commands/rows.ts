import { and, eq, isNotNull, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { execdCommands, sandboxes, type ExecdCommandRow } from '../../../db/schema/index.js';
import type { Deps } from '../../deps.js';
import { notFound } from '../../errors.js';
import type { CommandKind } from './types.js';

type D = Pick<Deps, 'db' | 'clock'>;

export type { ExecdCommandRow };

export async function insertCommand(
  deps: D & Pick<Deps, 'ids'>,
  row: { id?: string; sandboxId: string; command: string; kind: CommandKind; logPath?: string; sessionId?: string; timeoutMs?: number },
): Promise<ExecdCommandRow> {
  const now = deps.clock.now();
  const [inserted] = await deps.db
    .insert(execdCommands)
    .values({
      id: row.id ?? deps.ids.prefixed('cmd'),
      sandboxId: row.sandboxId,
      command: row.command,
      kind: row.kind,
      logPath: row.logPath ?? null,
      sessionId: row.sessionId ?? null,
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

/**
 * The exit the engine reported, in one statement: a process berth killed (timeout, interrupt; possibly by
 * another berth process) reports -1 and berth's reason, as upstream. Returns the finished row; undefined when
 * someone else finished it first.
 */
export async function recordEngineExit(deps: D, id: string, engineExit: number | null): Promise<ExecdCommandRow | undefined> {
  const code = engineExit === null ? sql`null::int` : sql`${engineExit}::int`;
  const plain = engineExit === null ? 'exit status unknown' : engineExit === 0 ? null : `exit status ${engineExit}`;
  const [row] = await deps.db
    .update(execdCommands)
    .set({
      finishedAt: deps.clock.now(),
      exitCode: sql`case when ${execdCommands.killedByBerth} then -1 else ${code} end`,
      error: sql`case when ${execdCommands.killedByBerth} then coalesce(${execdCommands.error}, 'signal: killed') else ${plain}::text end`,
    })
    .where(and(eq(execdCommands.id, id), isNull(execdCommands.finishedAt)))
    .returning();
  return row;
}

/** killAt: an interrupt's SIGKILL, due when its grace ends (escalate.ts). */
export async function markKilledByBerth(deps: Pick<Deps, 'db'>, id: string, reason: string, killAt?: Date): Promise<void> {
  await deps.db
    .update(execdCommands)
    .set({ killedByBerth: true, error: reason, ...(killAt && { killAt }) })
    .where(eq(execdCommands.id, id));
}

/** An interrupt that reached no process takes its mark back, so the command's own exit is reported as its own. */
export async function unmarkKilledByBerth(deps: Pick<Deps, 'db'>, id: string): Promise<void> {
  await deps.db
    .update(execdCommands)
    .set({ killedByBerth: false, error: null, killAt: null })
    .where(and(eq(execdCommands.id, id), isNull(execdCommands.finishedAt)));
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

/**
 * Insert the record and start the exec at once (two round trips in parallel instead of in a row). A refused
 * exec finishes the record and rethrows (a plain JSON error for the client); a failed insert leaves no
 * command running unrecorded.
 */
export async function recordAndStart<T extends { execId: string; detach(): void }>(
  deps: D & Pick<Deps, 'ids'>,
  row: Parameters<typeof insertCommand>[1],
  start: () => Promise<T>,
  stop: (handle: T) => Promise<void>,
): Promise<{ row: ExecdCommandRow; handle: T }> {
  const id = row.id ?? deps.ids.prefixed('cmd');
  const [inserted, started] = await Promise.allSettled([insertCommand(deps, { ...row, id }), start()]);
  if (inserted.status === 'rejected') {
    if (started.status === 'fulfilled') await stop(started.value).catch(() => {});
    throw inserted.reason;
  }
  if (started.status === 'rejected') {
    await recordFinish(deps, id, null, 'the command could not start');
    throw started.reason;
  }
  return { row: inserted.value, handle: started.value };
}

/**
 * Unfinished commands of this host's sandboxes whose time `at` has come (a timeout's deadline, an
 * interrupt's SIGKILL): what a loop on this host must act on, whichever berth process started them.
 */
export async function dueOnThisHost(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  at: typeof execdCommands.deadlineAt | typeof execdCommands.killAt,
  ...also: SQL[]
): Promise<Array<{ id: string; execId: string | null; hostPid: number }>> {
  return deps.db
    .select({ id: execdCommands.id, execId: execdCommands.execId, hostPid: execdCommands.hostPid })
    .from(execdCommands)
    .innerJoin(sandboxes, eq(sandboxes.id, execdCommands.sandboxId))
    .where(and(isNull(execdCommands.finishedAt), isNotNull(at), lte(at, deps.clock.now()), eq(sandboxes.hostId, deps.config.hostId), ...also))
    .limit(100);
}
