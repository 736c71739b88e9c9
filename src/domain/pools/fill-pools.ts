import { and, count, eq, inArray, isNull } from 'drizzle-orm';
import { poolSlots, pools, sandboxes, type PoolRow } from '../../db/schema/index.js';
import { withTx } from '../../db/tx.js';
import type { Deps } from '../deps.js';
import { leaseUntil, newToken } from '../lease.js';
import { LABELS } from '../ports.js';
import { sandboxContainerSpec } from '../sandbox/container-spec.js';
import { sweepSlots } from './sweep-slots.js';

/** A slot's maker may take this long (create + start, the image is pulled before) before others may take it back. */
export const START_LEASE_MS = 5 * 60_000;

export type FillResult = { started: number; removed: number; failed: number };

/**
 * One pass of the filler on this host: sweep what must go (sweep-slots.ts), then top every pool up to its
 * idleTarget. Room is reserved under the pool's row lock by inserting `starting` slots, so two processes
 * filling at once never overshoot; the containers start after that commit, each settled `idle` on its own.
 */
export async function fillPoolsOnce(deps: Deps): Promise<FillResult> {
  const host = deps.config.hostId;
  const poolRows = await deps.db.select().from(pools);
  const slots = await deps.db.select().from(poolSlots).where(eq(poolSlots.hostId, host));
  const containers = (await deps.runtime.listOwned(deps.instanceId)).filter(
    (c) => c.labels[LABELS.pool] !== undefined && (c.labels[LABELS.hostId] ?? host) === host,
  );
  const removed = await sweepSlots(deps, poolRows, slots, containers);
  const result: FillResult = { started: 0, removed, failed: 0 };
  for (const pool of poolRows) {
    const r = await topUp(deps, pool).catch((err) => {
      deps.log.error({ pool: pool.name, err: String(err) }, 'pool top-up failed');
      return { started: 0, failed: 1 };
    });
    result.started += r.started;
    result.failed += r.failed;
    const [idle] = await deps.db
      .select({ n: count() })
      .from(poolSlots)
      .where(and(eq(poolSlots.poolName, pool.name), eq(poolSlots.hostId, host), eq(poolSlots.state, 'idle')));
    deps.metrics.poolIdle(pool.name, Number(idle?.n ?? 0));
  }
  return result;
}

async function topUp(deps: Deps, seen: PoolRow): Promise<{ started: number; failed: number }> {
  if (seen.idleTarget === 0) return { started: 0, failed: 0 };
  // Pull before reserving: a reservation must not sit `starting` through a long pull, and a failed pull reserves nothing.
  if ((await room(deps, deps.db, seen)) > 0) await deps.runtime.ensureImage(seen.image);
  const token = newToken(deps.processId);
  const reserved = await withTx(deps.db, async (tx) => {
    const [pool] = await tx.select().from(pools).where(eq(pools.name, seen.name)).for('update');
    if (!pool) return null;
    const n = await room(deps, tx, pool);
    if (n <= 0) return null;
    const now = deps.clock.now();
    const rows = Array.from({ length: n }, () => {
      const id = deps.ids.sandbox();
      return {
        id,
        poolName: pool.name,
        generation: pool.generation,
        state: 'starting' as const,
        hostId: deps.config.hostId,
        containerName: `sandbox-${id}`,
        createdAt: now,
        leaseOwner: token,
        leaseUntil: leaseUntil(deps, START_LEASE_MS),
      };
    });
    await tx.insert(poolSlots).values(rows);
    return { pool, ids: rows.map((r) => r.id) };
  });
  if (!reserved) return { started: 0, failed: 0 };
  let started = 0;
  let failed = 0;
  // One at a time: a burst of starts would slow every create on the host, pooled or not.
  for (const id of reserved.ids) {
    if (await startSlot(deps, reserved.pool, id, token)) started++;
    else failed++;
  }
  return { started, failed };
}

/** How many more slots the pool may start on this host now: up to idleTarget, within maxSandboxes. */
async function room(deps: Deps, db: Deps['db'], pool: PoolRow): Promise<number> {
  const host = deps.config.hostId;
  const counts = await db
    .select({ state: poolSlots.state, generation: poolSlots.generation, n: count() })
    .from(poolSlots)
    .where(and(eq(poolSlots.poolName, pool.name), eq(poolSlots.hostId, host)))
    .groupBy(poolSlots.state, poolSlots.generation);
  const ready = counts.filter((c) => c.state !== 'claiming' && c.generation === pool.generation).reduce((a, c) => a + Number(c.n), 0);
  let n = pool.idleTarget - ready;
  if (pool.maxSandboxes !== null) {
    const [live] = await db
      .select({ n: count() })
      .from(sandboxes)
      .where(
        and(
          eq(sandboxes.poolName, pool.name),
          eq(sandboxes.hostId, host),
          isNull(sandboxes.deletedAt),
          inArray(sandboxes.state, ['Running', 'Paused', 'Pausing', 'Resuming', 'Pending']),
        ),
      );
    const all = counts.reduce((a, c) => a + Number(c.n), 0);
    n = Math.min(n, pool.maxSandboxes - all - Number(live?.n ?? 0));
  }
  return n;
}

async function startSlot(deps: Deps, pool: PoolRow, id: string, token: string): Promise<boolean> {
  const { spec } = sandboxContainerSpec(
    { id, containerName: `sandbox-${id}`, image: pool.image, entrypoint: pool.entrypoint, env: pool.env, resourceLimits: pool.resourceLimits },
    { config: deps.config, instanceId: deps.instanceId, binds: [] },
  );
  spec.labels[LABELS.pool] = pool.name;
  let containerId: string | null = null;
  try {
    const c = await deps.runtime.createAndStart(spec);
    containerId = c.containerId;
    const now = deps.clock.now();
    const [settled] = await deps.db
      .update(poolSlots)
      .set({ state: 'idle', containerId: c.containerId, ports: c.ports, readyAt: now, leaseOwner: null, leaseUntil: null })
      .where(and(eq(poolSlots.id, id), eq(poolSlots.state, 'starting'), eq(poolSlots.leaseOwner, token)))
      .returning({ id: poolSlots.id });
    if (settled) return true;
    // The pool was deleted, or the slot taken back while it started: the container is nobody's.
    await deps.runtime.remove(c.containerId);
    return false;
  } catch (err) {
    deps.log.warn({ pool: pool.name, slotId: id, err: String(err) }, 'pool sandbox did not start');
    await deps.db.delete(poolSlots).where(and(eq(poolSlots.id, id), eq(poolSlots.leaseOwner, token)));
    if (containerId) await deps.runtime.remove(containerId).catch(() => {});
    return false;
  }
}
