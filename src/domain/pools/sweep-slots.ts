import { and, eq, inArray } from 'drizzle-orm';
import { poolSlots, sandboxes, type PoolRow, type PoolSlotRow } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { leaseIsDead } from '../lease.js';
import { LABELS, type ContainerState } from '../ports.js';

/** Why an idle slot is taken out of its pool, or null when it may stay. */
export function staleReason(slot: PoolSlotRow, pool: PoolRow | undefined, c: ContainerState | undefined, now: Date): string | null {
  if (!pool) return 'pool_deleted';
  if (slot.generation !== pool.generation) return 'template_changed';
  if (pool.maxIdleSeconds !== null && slot.readyAt && now.getTime() - slot.readyAt.getTime() >= pool.maxIdleSeconds * 1000) return 'aged_out';
  if (!c) return 'container_gone';
  if (!c.running) return 'container_dead';
  if (c.paused) return 'container_paused';
  return null;
}

/**
 * Take out of the pools, on this host: idle slots that are stale (template changed, aged out, pool deleted),
 * whose container died, vanished or was paused, or that exceed the pool's idleTarget; `starting` and
 * `claiming` slots whose owner died; and containers with a pool label that neither a slot nor a sandbox row
 * owns (a filler that died between its insert and its delete). Every removal is a conditional DELETE first:
 * a claimer holding the row FOR UPDATE makes it wait, and by then the row is `claiming` and stays.
 * `slots` must be read BEFORE `containers` are listed (an idle slot's container is then in the list);
 * strays are judged against rows read after the list.
 */
export async function sweepSlots(deps: Deps, pools: PoolRow[], slots: PoolSlotRow[], containers: ContainerState[]): Promise<number> {
  const byName = new Map(pools.map((p) => [p.name, p]));
  const byContainer = new Map(containers.map((c) => [c.containerId, c]));
  const now = deps.clock.now();
  let removed = 0;
  const keptIdle = new Map<string, number>();
  const idleOldestFirst = slots.filter((s) => s.state === 'idle').sort((a, b) => (a.readyAt?.getTime() ?? 0) - (b.readyAt?.getTime() ?? 0));
  for (const slot of idleOldestFirst) {
    const pool = byName.get(slot.poolName);
    let reason = staleReason(slot, pool, slot.containerId ? byContainer.get(slot.containerId) : undefined, now);
    const kept = keptIdle.get(slot.poolName) ?? 0;
    if (!reason && pool && kept >= pool.idleTarget) reason = 'over_target';
    if (!reason) {
      keptIdle.set(slot.poolName, kept + 1);
      continue;
    }
    if (await dropSlot(deps, slot, 'idle', reason)) removed++;
  }
  for (const slot of slots) {
    if (slot.state === 'idle' || !leaseIsDead(deps, slot)) continue;
    if (await dropSlot(deps, slot, slot.state, slot.state === 'starting' ? 'filler_died' : 'claimer_died')) removed++;
  }
  removed += await removeStrays(deps, slots, containers);
  return removed;
}

async function dropSlot(deps: Deps, slot: PoolSlotRow, state: PoolSlotRow['state'], reason: string): Promise<boolean> {
  const conditions = [eq(poolSlots.id, slot.id), eq(poolSlots.state, state)];
  if (state !== 'idle' && slot.leaseOwner) conditions.push(eq(poolSlots.leaseOwner, slot.leaseOwner));
  const [gone] = await deps.db
    .delete(poolSlots)
    .where(and(...conditions))
    .returning({ id: poolSlots.id });
  if (!gone) return false;
  // A starting slot's container may exist without its id being recorded yet: the name is known from the insert.
  // If the removal fails, the container is a stray now and the next pass removes it.
  await deps.runtime
    .remove(slot.containerId ?? slot.containerName)
    .catch((err) => deps.log.warn({ slotId: slot.id, err: String(err) }, 'pool container not removed; retried as a stray'));
  deps.log.info({ pool: slot.poolName, slotId: slot.id, reason }, 'removed a pool sandbox');
  return true;
}

async function removeStrays(deps: Deps, slots: PoolSlotRow[], containers: ContainerState[]): Promise<number> {
  const known = new Set(slots.map((s) => s.id));
  const candidates = containers.filter((c) => !known.has(c.labels[LABELS.sandboxId] ?? ''));
  if (candidates.length === 0) return 0;
  const ids = candidates.map((c) => c.labels[LABELS.sandboxId] ?? '');
  const owned = new Set([
    ...(await deps.db.select({ id: poolSlots.id }).from(poolSlots).where(inArray(poolSlots.id, ids))).map((r) => r.id),
    ...(await deps.db.select({ id: sandboxes.id }).from(sandboxes).where(inArray(sandboxes.id, ids))).map((r) => r.id),
  ]);
  let removed = 0;
  for (const c of candidates) {
    if (owned.has(c.labels[LABELS.sandboxId] ?? '')) continue;
    await deps.runtime.remove(c.containerId).catch(() => {});
    deps.log.warn({ containerId: c.containerId, pool: c.labels[LABELS.pool] }, 'removed a stray pool container');
    removed++;
  }
  return removed;
}
