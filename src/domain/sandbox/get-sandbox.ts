import { and, eq, isNull } from 'drizzle-orm';
import { sandboxes, type SandboxRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { sandboxNotFound } from '../errors.js';

/** Live sandboxes only: deleted and expired ones answer 404, as upstream (their rows stay as history). */
export async function getSandbox(deps: Pick<Deps, 'db'>, id: string): Promise<SandboxRow> {
  const [row] = await deps.db
    .select()
    .from(sandboxes)
    .where(and(eq(sandboxes.id, id), isNull(sandboxes.deletedAt)))
    .limit(1);
  if (!row) throw sandboxNotFound(id);
  return row;
}
