import { eq, inArray } from 'drizzle-orm';
import { mounts } from '../../../db/schema/index.js';
import { withTx } from '../../../db/tx.js';
import { leaseIsDead, leaseUntil, newToken } from '../../lease.js';
import type { MountDeps } from '../mount-deps.js';
import { lockIdentitiesExclusive, referencedAmong } from './mount-rows.js';
import { MOUNT_LEASE_MS } from './states.js';

/**
 * The only way into `unmounting` for a mount that was in use (DESIGN.md invariant 1): holding its identity
 * lock exclusive (so every create that was joining has committed its reference, and any later one waits
 * and then finds the row unmounting and makes a new generation) and the row FOR UPDATE, look for references
 * with a snapshot taken after those locks were granted. Zero references and nobody
 * working on it: mark it unmounting under a fresh lease token; the caller unmounts after the commit.
 * A mount still being made by a live owner is left to that owner, whose settle counts again.
 */
export async function claimUnreferenced(
  deps: Pick<MountDeps, 'db' | 'clock' | 'config' | 'processId'>,
  mountIds: string[],
  opts: { skipLocked: boolean },
): Promise<{ id: string; token: string }[]> {
  if (mountIds.length === 0) return [];
  return withTx(deps.db, async (tx) => {
    const keys = await tx.select({ k: mounts.identityKey }).from(mounts).where(inArray(mounts.id, mountIds));
    await lockIdentitiesExclusive(
      tx,
      keys.map((r) => r.k),
    );
    const locked = await tx
      .select()
      .from(mounts)
      .where(inArray(mounts.id, mountIds))
      .orderBy(mounts.identityKey)
      .for('update', opts.skipLocked ? { skipLocked: true } : undefined);
    if (locked.length === 0) return [];
    // A new statement, so a new snapshot: taken after the locks above were granted. It also waits for
    // releases still deleting references (release.ts counts on that), so it decides on their outcome.
    const held = await referencedAmong(
      tx,
      locked.map((m) => m.id),
      { waitForDeletes: true },
    );
    const now = deps.clock.now();
    const out: { id: string; token: string }[] = [];
    for (const row of locked) {
      if (held.has(row.id)) continue;
      const idle = row.state === 'mounted' || row.state === 'failed' || row.state === 'absent';
      if (!idle && !(row.state === 'mounting' && leaseIsDead(deps, row))) continue;
      const token = newToken(deps.processId);
      await tx
        .update(mounts)
        .set({ state: 'unmounting', leaseOwner: token, leaseUntil: leaseUntil(deps, MOUNT_LEASE_MS), updatedAt: now })
        .where(eq(mounts.id, row.id));
      out.push({ id: row.id, token });
    }
    return out;
  });
}
