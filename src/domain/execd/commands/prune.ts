import { and, eq, inArray, isNotNull, isNull, lte, notExists } from 'drizzle-orm';
import { execdCommands, sandboxes } from '../../../db/schema/index.js';
import type { Deps } from '../../deps.js';
import { runTool } from '../run-tool.js';
import { settleCommand } from './status.js';

type D = Pick<Deps, 'db' | 'clock' | 'config' | 'exec' | 'metrics' | 'log'>;

const BATCH = 200;

/**
 * Retention of command records and background logs (DESIGN.md execd §4.2). One pass:
 * 1. records of sandboxes that are gone (deleted, kept only as history, or no row) are deleted: their log
 *    files went with the container;
 * 2. unfinished commands in this host's Running sandboxes are settled against the engine, so a background
 *    command nobody polls still gets its end recorded (retention counts from it);
 * 3. records that finished more than `execdCommandRetentionSeconds` ago are deleted, a background command's
 *    log file (and a FIFO a killed wrapper may have left) removed first with the image's `rm`. A Paused
 *    sandbox keeps them until a later pass (the archive API cannot delete, exec needs it running); a sandbox
 *    that is not running at all keeps the file, which goes with its container.
 * Returns how many records it deleted.
 */
export async function pruneCommandsOnce(deps: D): Promise<number> {
  const orphans = await deps.db
    .delete(execdCommands)
    .where(
      notExists(
        deps.db
          .select({ id: sandboxes.id })
          .from(sandboxes)
          .where(and(eq(sandboxes.id, execdCommands.sandboxId), isNull(sandboxes.deletedAt))),
      ),
    )
    .returning({ id: execdCommands.id });

  const open = await deps.db
    .select({ row: execdCommands })
    .from(execdCommands)
    .innerJoin(sandboxes, eq(sandboxes.id, execdCommands.sandboxId))
    .where(and(isNull(execdCommands.finishedAt), isNotNull(execdCommands.execId), eq(sandboxes.hostId, deps.config.hostId), eq(sandboxes.state, 'Running')))
    .limit(BATCH);
  for (const { row } of open) await settleCommand(deps, row).catch(() => undefined);

  const cutoff = new Date(deps.clock.now().getTime() - deps.config.execdCommandRetentionSeconds * 1000);
  const due = await deps.db
    .select({
      id: execdCommands.id,
      sandboxId: execdCommands.sandboxId,
      logPath: execdCommands.logPath,
      state: sandboxes.state,
      containerId: sandboxes.containerId,
    })
    .from(execdCommands)
    .innerJoin(sandboxes, eq(sandboxes.id, execdCommands.sandboxId))
    .where(and(lte(execdCommands.finishedAt, cutoff), eq(sandboxes.hostId, deps.config.hostId)))
    .limit(BATCH);
  const bySandbox = new Map<string, typeof due>();
  for (const r of due) bySandbox.set(r.sandboxId, [...(bySandbox.get(r.sandboxId) ?? []), r]);
  let deleted = orphans.length;
  for (const rows of bySandbox.values()) {
    const { state, containerId } = rows[0]!;
    const logs = rows.flatMap((r) => (r.logPath ? [r.logPath, `${r.logPath}.fifo`] : []));
    if (logs.length > 0 && state === 'Paused') continue;
    if (logs.length > 0 && state === 'Running' && containerId) {
      try {
        await runTool(deps.exec, containerId, ['rm', '-f', '--', ...logs], 'Removing old command logs');
      } catch (e) {
        // the record goes anyway: a file berth cannot remove is bounded, and goes with the container
        deps.log.warn({ sandboxId: rows[0]!.sandboxId, err: (e as Error).message }, 'could not remove old background command logs');
      }
    }
    const ids = rows.map((r) => r.id);
    await deps.db.delete(execdCommands).where(inArray(execdCommands.id, ids));
    deleted += ids.length;
  }
  return deleted;
}
