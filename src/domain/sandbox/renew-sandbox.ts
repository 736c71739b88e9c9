import { and, eq, isNotNull, isNull, ne } from 'drizzle-orm';
import { sandboxes } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { conflict, invalid, sandboxNotFound } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { withTx } from '../../db/tx.js';

/**
 * One conditional UPDATE, so renew and the reaper cannot interleave into an orphan: the reaper marks a
 * row Stopping under FOR UPDATE SKIP LOCKED before it touches Docker, and this UPDATE only matches rows
 * that are not Stopping. Either the renew lands first (the reaper no longer sees the row as expired) or
 * the reaper does (the renew answers that the sandbox is going away). As upstream, a new expiry must be
 * in the future but may be earlier than the current one (the SDK sends now + seconds).
 */
export async function renewSandbox(deps: Pick<Deps, 'db' | 'clock' | 'ids'>, id: string, expiresAt: Date, actor: string): Promise<Date> {
  const now = deps.clock.now();
  if (!(expiresAt.getTime() > now.getTime())) throw invalid('DOCKER::INVALID_EXPIRATION', 'New expiration time must be in the future.');
  return withTx(deps.db, async (tx) => {
    const [before] = await tx
      .select({ expiresAt: sandboxes.expiresAt, state: sandboxes.state })
      .from(sandboxes)
      .where(and(eq(sandboxes.id, id), isNull(sandboxes.deletedAt)));
    const [row] = await tx
      .update(sandboxes)
      .set({ expiresAt, updatedAt: now })
      .where(and(eq(sandboxes.id, id), isNull(sandboxes.deletedAt), isNotNull(sandboxes.expiresAt), ne(sandboxes.state, 'Stopping')))
      .returning({ expiresAt: sandboxes.expiresAt });
    if (!row) {
      if (!before) throw sandboxNotFound(id);
      if (before.expiresAt === null) throw conflict('DOCKER::INVALID_EXPIRATION', `Sandbox ${id} does not have automatic expiration enabled.`);
      throw conflict('DOCKER::INVALID_EXPIRATION', `Sandbox ${id} is being deleted.`);
    }
    await appendEvent(tx, deps, {
      type: 'sandbox.renewed',
      sandboxId: id,
      actor,
      data: { previousExpiresAt: before?.expiresAt?.toISOString() ?? null, expiresAt: expiresAt.toISOString() },
    });
    return row.expiresAt!;
  });
}
