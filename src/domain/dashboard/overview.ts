import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lte, ne, or, sql } from 'drizzle-orm';
import { events, mounts, sandboxes, type SandboxRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { countSandboxesByState } from '../sandbox/count-by-state.js';

/** The chart covers the last hour in 12 five-minute buckets. */
export const CHART_BUCKETS = 12;
const BUCKET_MS = 5 * 60_000;
/** "Expiring soon" means within 15 minutes. */
const SOON_MS = 15 * 60_000;

export type Overview = {
  byState: Record<string, number>;
  /** index 0 = the oldest five minutes of the last hour */
  creates: number[];
  failures: number[];
  expiringSoon: SandboxRow[];
  degradedMounts: { id: string; state: string; health: string; lastError: string | null }[];
};

/**
 * What an operator looks at first. Five small queries, each on an index (events by created_at, sandboxes by
 * expiry, mounts by state): it stays cheap with a long event log.
 */
export async function dashboardOverview(deps: Pick<Deps, 'db' | 'clock'>): Promise<Overview> {
  const now = deps.clock.now();
  const since = new Date(now.getTime() - CHART_BUCKETS * BUCKET_MS);
  const [byState, counted, expiringSoon, degraded] = await Promise.all([
    countSandboxesByState(deps),
    deps.db
      .select({
        type: events.type,
        bucket: sql<number>`floor(extract(epoch from (${events.createdAt} - ${since.toISOString()}::timestamptz)) * 1000 / ${BUCKET_MS})::int`,
        n: sql<number>`count(*)::int`,
      })
      .from(events)
      .where(and(gte(events.createdAt, since), inArray(events.type, ['sandbox.created', 'sandbox.failed'])))
      .groupBy(sql`1`, sql`2`),
    deps.db
      .select()
      .from(sandboxes)
      .where(and(isNull(sandboxes.deletedAt), isNotNull(sandboxes.expiresAt), lte(sandboxes.expiresAt, new Date(now.getTime() + SOON_MS))))
      .orderBy(asc(sandboxes.expiresAt))
      .limit(20),
    deps.db
      .select({ id: mounts.id, state: mounts.state, health: mounts.health, lastError: mounts.lastError })
      .from(mounts)
      .where(or(eq(mounts.state, 'failed'), and(eq(mounts.state, 'mounted'), ne(mounts.health, 'ok'))))
      .orderBy(desc(mounts.updatedAt))
      .limit(20),
  ]);
  const creates = new Array<number>(CHART_BUCKETS).fill(0);
  const failures = new Array<number>(CHART_BUCKETS).fill(0);
  for (const r of counted) {
    const i = Math.min(CHART_BUCKETS - 1, Math.max(0, Number(r.bucket)));
    (r.type === 'sandbox.created' ? creates : failures)[i]! += r.n;
  }
  return { byState, creates, failures, expiringSoon, degradedMounts: degraded };
}
