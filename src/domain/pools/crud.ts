import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { poolSlots, pools, type PoolRow, type PoolSlotState } from '../../db/schema/index.js';
import { withTx } from '../../db/tx.js';
import type { Deps } from '../deps.js';
import { conflict, notFound } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { assertPoolName, templateChanged, validatePool, type PoolInput } from './template.js';

/** A pool with how many of its slots are in each state (all hosts). */
export type PoolView = PoolRow & { slots: Record<PoolSlotState, number> };

type CrudDeps = Pick<Deps, 'db' | 'clock' | 'ids' | 'config'>;

export const poolNotFound = (name: string) => notFound('POOL::NOT_FOUND', `Pool ${name} not found.`);

export async function createPool(deps: CrudDeps, name: string, input: PoolInput, actor: string): Promise<PoolView> {
  assertPoolName(name);
  const valid = validatePool(input, deps.config);
  const now = deps.clock.now();
  const row = await withTx(deps.db, async (tx) => {
    const [inserted] = await tx
      .insert(pools)
      .values({ name, ...valid, generation: 1, createdAt: now, updatedAt: now })
      .onConflictDoNothing({ target: pools.name })
      .returning();
    if (!inserted) throw conflict('POOL::ALREADY_EXISTS', `Pool ${name} already exists.`);
    await appendEvent(tx, deps, { type: 'pool.created', actor, data: { pool: name, image: valid.image, idleTarget: valid.idleTarget } });
    return inserted;
  });
  return { ...row, slots: { starting: 0, idle: 0, claiming: 0 } };
}

/**
 * Replace a pool's settings. A changed template bumps the generation: claims take only current-generation
 * slots from then on, and the filler replaces the older ones.
 */
export async function updatePool(deps: CrudDeps, name: string, input: PoolInput, actor: string): Promise<PoolView> {
  const valid = validatePool(input, deps.config);
  const row = await withTx(deps.db, async (tx) => {
    const [current] = await tx.select().from(pools).where(eq(pools.name, name)).for('update');
    if (!current) throw poolNotFound(name);
    const changed = templateChanged(current, valid);
    const [updated] = await tx
      .update(pools)
      .set({ ...valid, generation: changed ? current.generation + 1 : current.generation, updatedAt: deps.clock.now() })
      .where(eq(pools.name, name))
      .returning();
    await appendEvent(tx, deps, { type: 'pool.updated', actor, data: { pool: name, templateChanged: changed, generation: updated!.generation } });
    return updated!;
  });
  return withSlotCounts(deps, row);
}

export async function getPool(deps: Pick<Deps, 'db'>, name: string): Promise<PoolView> {
  const [row] = await deps.db.select().from(pools).where(eq(pools.name, name));
  if (!row) throw poolNotFound(name);
  return withSlotCounts(deps, row);
}

export async function listPools(deps: Pick<Deps, 'db'>): Promise<PoolView[]> {
  const rows = await deps.db.select().from(pools).orderBy(asc(pools.name));
  if (rows.length === 0) return [];
  const counts = await deps.db
    .select({ poolName: poolSlots.poolName, state: poolSlots.state, n: count() })
    .from(poolSlots)
    .where(
      inArray(
        poolSlots.poolName,
        rows.map((r) => r.name),
      ),
    )
    .groupBy(poolSlots.poolName, poolSlots.state);
  return rows.map((r) => ({ ...r, slots: tally(counts.filter((c) => c.poolName === r.name)) }));
}

async function withSlotCounts(deps: Pick<Deps, 'db'>, row: PoolRow): Promise<PoolView> {
  const counts = await deps.db
    .select({ state: poolSlots.state, n: count() })
    .from(poolSlots)
    .where(and(eq(poolSlots.poolName, row.name)))
    .groupBy(poolSlots.state);
  return { ...row, slots: tally(counts) };
}

function tally(counts: Array<{ state: PoolSlotState; n: number }>): Record<PoolSlotState, number> {
  const out: Record<PoolSlotState, number> = { starting: 0, idle: 0, claiming: 0 };
  for (const c of counts) out[c.state] = Number(c.n);
  return out;
}
