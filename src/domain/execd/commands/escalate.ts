import { eq } from 'drizzle-orm';
import { execdCommands } from '../../../db/schema/index.js';
import type { Deps } from '../../deps.js';
import { dueOnThisHost } from './rows.js';

type D = Pick<Deps, 'db' | 'clock' | 'config' | 'exec'>;
type Due = { id: string; execId: string | null; hostPid: number };

/**
 * An interrupt's SIGKILL once its grace has run out, if the command still runs. The engine is asked first:
 * a pid whose exec has ended may already belong to another process. Either way the SIGKILL is no longer
 * due, whoever got here first (the interrupt's own timer, or the loop below after a restart).
 */
export async function killAfterGrace(deps: D, c: Due): Promise<void> {
  const status = c.execId ? await deps.exec.inspect(c.execId).catch(() => null) : null;
  if (status?.running && c.hostPid > 0) deps.exec.signalGroup(c.hostPid, 'SIGKILL');
  await deps.db.update(execdCommands).set({ killAt: null }).where(eq(execdCommands.id, c.id));
}

/**
 * The interrupt's timer lives in memory; the SIGKILL it stands for is a row (kill_at), so a berth process
 * that dies within the grace does not leave a command that ignores SIGTERM running for good: the next
 * process on this host sends it. Returns how many were due.
 */
export async function escalateInterruptsOnce(deps: D): Promise<number> {
  const due = await dueOnThisHost(deps, execdCommands.killAt);
  for (const c of due) await killAfterGrace(deps, c);
  return due.length;
}
