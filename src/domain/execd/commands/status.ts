import type { Deps } from '../../deps.js';
import { commandOutcome } from './outcome.js';
import { findCommand, recordEngineExit, recordFinish, type ExecdCommandRow } from './rows.js';

type D = Pick<Deps, 'db' | 'clock' | 'exec' | 'metrics'>;

export type CommandStatus = {
  id: string;
  content: string;
  running: boolean;
  exitCode: number | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
};

/** GET /command/status/{id}: the record, settled against the engine when it has not seen the end yet. */
export async function commandStatus(deps: D, sandboxId: string, id: string): Promise<CommandStatus> {
  const row = await settleCommand(deps, await findCommand(deps, sandboxId, id));
  return {
    id: row.id,
    content: row.command,
    running: row.finishedAt === null,
    exitCode: row.exitCode,
    error: row.error,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

/**
 * A command nobody is streaming (background, or a foreground one whose berth process died) finishes when
 * someone looks: the engine still knows the exec while its container lives. An exec the engine forgot
 * (the container restarted or went) ended without an exit code berth could see.
 */
export async function settleCommand(deps: D, row: ExecdCommandRow): Promise<ExecdCommandRow> {
  if (row.finishedAt !== null || row.execId === null) return row;
  const engine = await deps.exec.inspect(row.execId).catch(() => null);
  if (engine?.running) return row;
  const finished = engine
    ? await recordEngineExit(deps, row.id, engine.exitCode)
    : await recordFinish(deps, row.id, null, 'the sandbox restarted or went away before the command ended');
  if (!finished) return (await findCommand(deps, row.sandboxId, row.id)) ?? row;
  if (finished.kind === 'background') {
    const seconds = (finished.finishedAt!.getTime() - finished.startedAt.getTime()) / 1000;
    deps.metrics.execdCommand('background', commandOutcome(finished.exitCode), seconds);
  }
  return finished;
}
