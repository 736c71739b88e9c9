import { isNull, sql } from 'drizzle-orm';
import { sandboxes } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { SANDBOX_STATES } from './states.js';

/**
 * Live sandboxes per state, for the /metrics gauge: one GROUP BY at scrape time, so the number is
 * always the database's (every process sharing it reports the same) and nothing has to be kept in step.
 * Every known state is present, with 0, so a series never disappears from a dashboard.
 */
export async function countSandboxesByState(deps: Pick<Deps, 'db'>): Promise<Record<string, number>> {
  const rows = await deps.db
    .select({ state: sandboxes.state, n: sql<number>`count(*)::int` })
    .from(sandboxes)
    .where(isNull(sandboxes.deletedAt))
    .groupBy(sandboxes.state);
  const out: Record<string, number> = Object.fromEntries(SANDBOX_STATES.map((s) => [s, 0]));
  for (const r of rows) out[r.state] = r.n;
  return out;
}
