import { eq } from 'drizzle-orm';
import { execdCommands } from '../../../db/schema/index.js';
import type { Deps } from '../../deps.js';
import { waitForPid } from './exec-pid.js';
import { dueOnThisHost } from './rows.js';

type D = Pick<Deps, 'db' | 'clock' | 'config' | 'exec'>;
type Due = { id: string; execId: string | null; hostPid: number };

/**
 * A SIGKILL that is due (a timeout, an interrupt's grace run out, a session closed), if the command still runs.
 * The engine is asked first: a pid whose exec has ended may already belong to another process. Either way
 * it is no longer due, whoever got here first (the caller's own timer, or the loop below after a restart).
 * True when it sent the signal.
 */
export async function killIfStillRunning(deps: Pick<Deps, 'db' | 'exec'>, c: Due): Promise<boolean> {
  // No exec recorded yet, the engine not answering, or no pid from it yet: still due, for the next look.
  if (!c.execId) return false;
  const status = await waitForPid(deps.exec, c.execId).catch(() => undefined);
  if (status === undefined || (status?.running && status.hostPid <= 0)) return false;
  const signalled = status?.running === true && deps.exec.signalGroup(c.hostPid > 0 ? c.hostPid : status.hostPid, 'SIGKILL');
  await deps.db.update(execdCommands).set({ killAt: null }).where(eq(execdCommands.id, c.id));
  return signalled;
}

/**
 * The interrupt's timer lives in memory; the SIGKILL it stands for is a row (kill_at), so a berth process
 * that dies within the grace does not leave a command that ignores SIGTERM running for good: the next
 * process on this host sends it. Returns how many were due.
 */
export async function escalateInterruptsOnce(deps: D): Promise<number> {
  const due = await dueOnThisHost(deps, execdCommands.killAt);
  for (const c of due) await killIfStillRunning(deps, c);
  return due.length;
}
