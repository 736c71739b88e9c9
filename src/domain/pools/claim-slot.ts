import { and, asc, eq } from 'drizzle-orm';
import { poolSlots, sandboxes, type PoolRow, type PoolSlotRow, type SandboxRow } from '../../db/schema/index.js';
import { withTx } from '../../db/tx.js';
import type { Deps } from '../deps.js';
import { appendEvents } from '../events/append.js';
import { leaseUntil, newToken } from '../lease.js';
import type { ResourceUpdate } from '../ports.js';
import type { ValidCreate } from '../sandbox/validate-create.js';

/** How long a claim may hold its slot before the filler may take it back (the claim itself is milliseconds). */
export const CLAIM_LEASE_MS = 60_000;

/**
 * Answer a create from an idle slot: tx1 takes the oldest idle slot of the pool's current generation on this
 * host (`FOR UPDATE SKIP LOCKED`, so two claimers never wait on or share one) and marks it `claiming` under a
 * lease; then the container is checked running and given the request's limits; tx2 turns the slot into a
 * Running sandbox row. Returns null when there is no idle slot or anything went wrong on the way: the caller
 * then makes a cold create, so a client never sees a pool error for a valid request. A crash between tx1 and
 * tx2 leaves a `claiming` slot whose owner is dead; the filler removes its container.
 */
export async function claimFromPool(deps: Deps, pool: PoolRow, v: ValidCreate, update: ResourceUpdate, actor: string): Promise<SandboxRow | null> {
  const token = newToken(deps.processId);
  const slot = await takeIdleSlot(deps, pool, token).catch((err) => {
    deps.log.warn({ pool: pool.name, err: String(err) }, 'pool claim failed before taking a slot; falling back to a cold create');
    return null;
  });
  if (!slot) return null;

  try {
    const containerId = slot.containerId!;
    // The filler notices a dead or paused idle container only on its next pass; a claim must not hand one out.
    const state = await deps.runtime.inspect(containerId);
    if (!state || !state.running || state.paused) throw new Error(`idle container is ${state ? state.status : 'gone'}`);
    if (Object.keys(update).length > 0) {
      if (!deps.runtime.updateResources) throw new Error('this runtime cannot change a started container');
      await deps.runtime.updateResources(containerId, update);
    }
    const row = await settleClaim(deps, pool, slot.id, token, v, { containerId, ports: state.ports, containerName: slot.containerName }, actor);
    if (!row) throw new Error('slot was taken back before the claim settled');
    return row;
  } catch (err) {
    deps.log.warn({ pool: pool.name, slotId: slot.id, err: String(err) }, 'pool claim failed; falling back to a cold create');
    await dropClaimedSlot(deps, slot.id, token, slot.containerId);
    return null;
  }
}

/** tx1: the oldest idle slot of the pool's current generation on this host, marked `claiming` under our lease. */
async function takeIdleSlot(deps: Deps, pool: PoolRow, token: string): Promise<PoolSlotRow | null> {
  return withTx(deps.db, async (tx) => {
    const [s] = await tx
      .select()
      .from(poolSlots)
      .where(
        and(
          eq(poolSlots.poolName, pool.name),
          eq(poolSlots.hostId, deps.config.hostId),
          eq(poolSlots.state, 'idle'),
          eq(poolSlots.generation, pool.generation),
        ),
      )
      .orderBy(asc(poolSlots.readyAt))
      .limit(1)
      .for('update', { skipLocked: true });
    if (!s) return null;
    await tx
      .update(poolSlots)
      .set({ state: 'claiming', leaseOwner: token, leaseUntil: leaseUntil(deps, CLAIM_LEASE_MS) })
      .where(eq(poolSlots.id, s.id));
    return s;
  });
}

async function settleClaim(
  deps: Deps,
  pool: PoolRow,
  id: string,
  token: string,
  v: ValidCreate,
  c: { containerId: string; ports: Record<string, number>; containerName: string },
  actor: string,
): Promise<SandboxRow | null> {
  return withTx(deps.db, async (tx) => {
    const [gone] = await tx
      .delete(poolSlots)
      .where(and(eq(poolSlots.id, id), eq(poolSlots.state, 'claiming'), eq(poolSlots.leaseOwner, token)))
      .returning({ id: poolSlots.id });
    if (!gone) return null;
    const now = deps.clock.now();
    const [row] = await tx
      .insert(sandboxes)
      .values({
        id,
        state: 'Running',
        reason: 'CONTAINER_RUNNING',
        message: 'Sandbox container started successfully.',
        lastTransitionAt: now,
        image: v.image,
        snapshotId: null,
        entrypoint: v.entrypoint,
        env: v.env,
        resourceLimits: v.resourceLimits,
        metadata: v.metadata,
        extensions: v.extensions,
        platform: v.platform,
        timeoutSeconds: v.timeoutSeconds,
        createdAt: now,
        expiresAt: v.timeoutSeconds === null ? null : new Date(now.getTime() + v.timeoutSeconds * 1000),
        containerName: c.containerName,
        containerId: c.containerId,
        ports: c.ports,
        hostId: deps.config.hostId,
        poolName: pool.name,
      })
      .returning();
    // The same two lifecycle events a cold create appends, so webhooks and dashboards see no difference.
    await appendEvents(tx, deps, [
      { type: 'sandbox.created', sandboxId: id, toState: 'Pending', actor, data: { image: v.image, pool: pool.name } },
      { type: 'sandbox.running', sandboxId: id, fromState: 'Pending', toState: 'Running', actor },
      { type: 'pool.claimed', sandboxId: id, actor, data: { pool: pool.name } },
    ]);
    return row!;
  });
}

/** A claim that failed half way: its container may have new limits or be dead, so it is not put back. */
async function dropClaimedSlot(deps: Deps, id: string, token: string, containerId: string | null): Promise<void> {
  try {
    const [gone] = await deps.db
      .delete(poolSlots)
      .where(and(eq(poolSlots.id, id), eq(poolSlots.leaseOwner, token)))
      .returning({ id: poolSlots.id });
    if (gone && containerId) await deps.runtime.remove(containerId);
  } catch (err) {
    deps.log.warn({ slotId: id, err: String(err) }, 'failed pool claim not cleaned up; the filler takes it back');
  }
}
