import { eq } from 'drizzle-orm';
import { execdCommands } from '../../../db/schema/index.js';
import type { Deps } from '../../deps.js';
import { hostPidOf } from './exec-pid.js';
import { dueOnThisHost, markKilledByBerth } from './rows.js';

/**
 * Commands past their timeout on this host get SIGKILL (upstream kills at once on timeout). Foreground
 * streams have their own timer; this loop is what holds for background commands and for every command
 * whose berth process restarted, because the deadline is a row, not a timer. Returns how many it killed.
 */
export async function expireCommandsOnce(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'exec'>): Promise<number> {
  const due = await dueOnThisHost(deps, execdCommands.deadlineAt, eq(execdCommands.killedByBerth, false));
  let killed = 0;
  for (const c of due) {
    await markKilledByBerth(deps, c.id, 'timeout');
    if (deps.exec.signalGroup(await hostPidOf(deps.exec, c), 'SIGKILL')) killed++;
  }
  return killed;
}
