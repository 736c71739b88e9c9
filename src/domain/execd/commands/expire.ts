import { eq } from 'drizzle-orm';
import { execdCommands } from '../../../db/schema/index.js';
import type { Deps } from '../../deps.js';
import { killIfStillRunning } from './escalate.js';
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
    // marked first, so the exit is reported as berth's kill; due as a row, so a kill that cannot go out now
    // (no pid from the engine yet) is sent by the interrupt-kill loop
    await markKilledByBerth(deps, c.id, 'timeout', deps.clock.now());
    if (await killIfStillRunning(deps, c)) killed++;
  }
  return killed;
}
