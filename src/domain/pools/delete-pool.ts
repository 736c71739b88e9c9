import { and, eq, inArray } from 'drizzle-orm';
import { poolSlots, pools } from '../../db/schema/index.js';
import { withTx } from '../../db/tx.js';
import type { Deps } from '../deps.js';
import { appendEvent } from '../events/append.js';
import { poolNotFound } from './crud.js';

/**
 * Delete a pool and its unclaimed slots in one transaction, then remove their containers. Sandboxes claimed
 * from it are left alone (they are sandbox rows now), and so is a claim in flight: its slot is `claiming` and
 * becomes a sandbox without the pool row. A `starting` slot's maker finds its row gone and removes its own
 * container; if that maker died, the filler removes the container as a stray.
 */
export async function deletePool(deps: Pick<Deps, 'db' | 'clock' | 'ids' | 'runtime' | 'log'>, name: string, actor: string): Promise<void> {
  const dropped = await withTx(deps.db, async (tx) => {
    const [row] = await tx.delete(pools).where(eq(pools.name, name)).returning({ name: pools.name });
    if (!row) throw poolNotFound(name);
    // A slot a claimer holds FOR UPDATE is rechecked after it commits: by then it is `claiming` and not deleted.
    const slots = await tx
      .delete(poolSlots)
      .where(and(eq(poolSlots.poolName, name), inArray(poolSlots.state, ['idle', 'starting'])))
      .returning({ id: poolSlots.id, state: poolSlots.state, containerId: poolSlots.containerId });
    await appendEvent(tx, deps, { type: 'pool.deleted', actor, data: { pool: name, idleRemoved: slots.filter((s) => s.state === 'idle').length } });
    return slots;
  });
  await Promise.all(
    dropped
      .filter((s) => s.state === 'idle' && s.containerId)
      .map((s) =>
        deps.runtime
          .remove(s.containerId!)
          .catch((err) => deps.log.warn({ pool: name, slotId: s.id, err: String(err) }, 'idle pool container not removed; the filler removes it as a stray')),
      ),
  );
}
