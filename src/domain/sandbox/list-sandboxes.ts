import { and, desc, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { sandboxes, type SandboxRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { SANDBOX_STATES } from './states.js';
import { matchStates } from '../state-filter.js';

export type ListSandboxesInput = { states: string[]; metadata: Record<string, string>; page: number; pageSize: number };
export type ListSandboxesResult = { items: SandboxRow[]; totalItems: number };

/**
 * One SQL query for the page and one for the count; never a container inspect. States match
 * case-insensitively as upstream; metadata is an AND of exact pairs via jsonb containment (GIN index).
 */
export async function listSandboxes(deps: Pick<Deps, 'db'>, input: ListSandboxesInput): Promise<ListSandboxesResult> {
  const where: SQL[] = [isNull(sandboxes.deletedAt)];
  if (input.states.length > 0) {
    const canonical = matchStates(input.states, SANDBOX_STATES);
    // An unknown state name matches nothing, as an equality filter would.
    where.push(canonical.length > 0 ? inArray(sandboxes.state, canonical) : sql`false`);
  }
  if (Object.keys(input.metadata).length > 0) where.push(sql`${sandboxes.metadata} @> ${JSON.stringify(input.metadata)}::jsonb`);
  const filter = and(...where);
  const [items, [count]] = await Promise.all([
    deps.db
      .select()
      .from(sandboxes)
      .where(filter)
      .orderBy(desc(sandboxes.createdAt), desc(sandboxes.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    deps.db
      .select({ n: sql<number>`count(*)::int` })
      .from(sandboxes)
      .where(filter),
  ]);
  return { items, totalItems: count?.n ?? 0 };
}
