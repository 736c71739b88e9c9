import { and, eq, isNull } from 'drizzle-orm';
import { sandboxes, type SandboxRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { sandboxNotFound } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { withTx } from '../../db/tx.js';
import { assertValidMetadata, mergeMetadata } from './metadata.js';

/** JSON merge patch on metadata: validated first, then applied whole under a row lock (no lost update between two PATCHes). */
export async function patchSandboxMetadata(
  deps: Pick<Deps, 'db' | 'clock' | 'ids'>,
  id: string,
  patch: Record<string, string | null>,
  actor: string,
): Promise<SandboxRow> {
  assertValidMetadata(patch, 'INVALID_METADATA_LABEL');
  return withTx(deps.db, async (tx) => {
    const [row] = await tx
      .select()
      .from(sandboxes)
      .where(and(eq(sandboxes.id, id), isNull(sandboxes.deletedAt)))
      .for('update');
    if (!row) throw sandboxNotFound(id);
    if (Object.keys(patch).length === 0) return row;
    const metadata = mergeMetadata(row.metadata, patch);
    const now = deps.clock.now();
    const [updated] = await tx.update(sandboxes).set({ metadata, updatedAt: now }).where(eq(sandboxes.id, id)).returning();
    await appendEvent(tx, deps, { type: 'sandbox.metadata_updated', sandboxId: id, actor, data: { patch } });
    return updated!;
  });
}
