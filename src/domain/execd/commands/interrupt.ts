import type { Deps } from '../../deps.js';
import { conflict, runtimeFailure } from '../../errors.js';
import { deleteSession, isSession } from '../sessions.js';
import { execTarget } from '../target.js';
import { killIfStillRunning } from './escalate.js';
import { hostPidOf } from './exec-pid.js';
import { findCommand, markKilledByBerth, unmarkKilledByBerth } from './rows.js';
import { settleCommand } from './status.js';

type D = Pick<Deps, 'db' | 'clock' | 'config' | 'exec' | 'metrics' | 'log'>;

/** How long an interrupted command may clean up after SIGTERM before SIGKILL (upstream: 3 s). */
export const INTERRUPT_GRACE_MS = 3000;

/**
 * DELETE /command?id=: SIGTERM to the command's whole process group (its children too), SIGKILL after the
 * grace period if it is still running. A stream still attached then ends with an error event (evalue -1).
 * A command that already ended is a 409 (upstream answers 500; a client mistake is never a 500 here).
 * A session id (what a session run's init carries, so what an SDK user holds) closes the session and kills
 * its running run, as upstream's interrupt of a bash session does.
 */
export async function interruptCommand(deps: D, sandboxId: string, id: string): Promise<void> {
  if (await isSession(deps, sandboxId, id)) return deleteSession(deps, sandboxId, id);
  const row = await settleCommand(deps, await findCommand(deps, sandboxId, id));
  if (row.finishedAt !== null) throw conflict('RUNTIME_ERROR', `Command ${id} is not running.`);
  await execTarget(deps, sandboxId); // a paused sandbox cannot take the signal's effect; say so
  await markKilledByBerth(deps, id, 'signal: terminated', new Date(deps.clock.now().getTime() + INTERRUPT_GRACE_MS));
  const hostPid = await hostPidOf(deps.exec, row);
  if (!deps.exec.signalGroup(hostPid, 'SIGTERM')) {
    // No process took it: the command ended meanwhile (its exit settles the record), or berth cannot reach
    // it (the engine gave no pid, or berth is outside the engine's PID namespace). Then a 200 would be a lie.
    const engine = row.execId ? await deps.exec.inspect(row.execId).catch(() => null) : null;
    if (!engine?.running) return;
    await unmarkKilledByBerth(deps, id);
    throw runtimeFailure('RUNTIME_ERROR', `Command ${id} is running, but berth could not signal its process (it needs the engine's host PID namespace).`);
  }
  // The timer keeps the grace exact; the row's kill_at stands in for it if this process dies first.
  const kill = setTimeout(() => {
    void killIfStillRunning(deps, { id, execId: row.execId, hostPid }).catch((err) =>
      deps.log.warn({ commandId: id, err: String(err) }, 'interrupt: the SIGKILL after the grace failed; the loop will retry'),
    );
  }, INTERRUPT_GRACE_MS);
  kill.unref();
}
