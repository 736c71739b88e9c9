import { and, eq, inArray, isNotNull, isNull, lte, ne, or } from 'drizzle-orm';
import { sandboxes } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { withTx } from '../../db/tx.js';
import { leaseIsDead } from '../lease.js';
import { TRANSITION_LEASE_MS } from '../sandbox/create-sandbox.js';
import { whileInFlight } from '../sandbox/in-flight.js';
import { discardFailedSandbox, finishTeardown } from '../sandbox/teardown.js';

export type ReapResult = { expired: number; resumedDeletes: number; abandonedCreates: number };

/**
 * One pass of the reaper. Claims, under FOR UPDATE SKIP LOCKED so two server processes never take the
 * same row: sandboxes whose TTL has passed, deletes whose owner died (Stopping with a lapsed lease) and
 * creates whose owner died (Pending with a lapsed lease). The claim commits (state Stopping, our lease)
 * before any Docker call, so a renew arriving meanwhile sees Stopping and cannot resurrect the row.
 */
export async function reapOnce(deps: Deps, opts: { limit?: number } = {}): Promise<ReapResult> {
  const now = deps.clock.now();
  const orphaned = await transitionsOfDeadOwners(deps);
  const claimed = await withTx(deps.db, async (tx) => {
    const due = await tx
      .select({ id: sandboxes.id, state: sandboxes.state, containerId: sandboxes.containerId, expiresAt: sandboxes.expiresAt, reason: sandboxes.reason })
      .from(sandboxes)
      .where(
        and(
          isNull(sandboxes.deletedAt),
          eq(sandboxes.hostId, deps.config.hostId),
          or(
            and(lte(sandboxes.expiresAt, now), ne(sandboxes.state, 'Stopping'), ne(sandboxes.state, 'Pending')),
            and(inArray(sandboxes.state, ['Stopping', 'Pending']), lte(sandboxes.leaseUntil, now)),
            ...orphaned.map((o) => and(eq(sandboxes.id, o.id), eq(sandboxes.leaseOwner, o.leaseOwner))),
          ),
        ),
      )
      .orderBy(sandboxes.expiresAt)
      .limit(opts.limit ?? 50)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    await tx
      .update(sandboxes)
      .set({ leaseOwner: deps.processId, leaseUntil: new Date(now.getTime() + TRANSITION_LEASE_MS), updatedAt: now })
      .where(
        inArray(
          sandboxes.id,
          due.map((d) => d.id),
        ),
      );
    const expiring = due.filter((d) => d.state !== 'Stopping' && d.state !== 'Pending').map((d) => d.id);
    if (expiring.length > 0)
      await tx
        .update(sandboxes)
        .set({ state: 'Stopping', reason: 'ttl_expiry', message: 'Sandbox expired.', lastTransitionAt: now })
        .where(inArray(sandboxes.id, expiring));
    return due;
  });

  const result: ReapResult = { expired: 0, resumedDeletes: 0, abandonedCreates: 0 };
  for (const row of claimed) {
    try {
      await whileInFlight(deps, row.id, () => finishClaimed(deps, row, result));
    } catch (err) {
      // Our lease stays on the row, but nothing here works on it any more: the next pass takes it again
      // (here, once the database answers), or another process once the lease lapses.
      deps.log.error({ sandboxId: row.id, err: String(err) }, 'reaper could not finish a sandbox');
    }
  }
  deps.metrics.reaperRun(claimed.length);
  if (claimed.length > 0) deps.log.info({ ...result }, 'reaper pass');
  return result;
}

type Claimed = { id: string; state: string; containerId: string | null; reason: string | null };

async function finishClaimed(deps: Deps, row: Claimed, result: ReapResult): Promise<void> {
  if (row.state === 'Pending') {
    await discardFailedSandbox(deps, row, { reason: 'provision_interrupted', actor: 'reaper' });
    result.abandonedCreates++;
  } else if (row.state === 'Stopping') {
    const ttl = row.reason === 'ttl_expiry';
    await finishTeardown(
      deps,
      { ...row, fromState: 'Stopping' },
      {
        reason: row.reason ?? 'user_delete',
        message: ttl ? 'Sandbox expired.' : 'Sandbox was deleted.',
        event: ttl ? 'sandbox.expired' : 'sandbox.deleted',
        actor: 'reaper',
      },
    );
    result.resumedDeletes++;
  } else {
    await finishTeardown(
      deps,
      { ...row, fromState: row.state },
      { reason: 'ttl_expiry', message: 'Sandbox expired.', event: 'sandbox.expired', actor: 'reaper' },
    );
    result.expired++;
  }
}

/**
 * In-flight creates and deletes whose owner was a process on this host that no longer exists (a crash
 * or SIGKILL before a restart), or is this process but nothing in it works on the row any more (a database
 * outage cut the create or delete off after its first commit; Deps.inFlight): their work can be taken over
 * now instead of when the lease runs out. Owners on other hosts are trusted to their lease.
 */
async function transitionsOfDeadOwners(deps: Deps): Promise<Array<{ id: string; leaseOwner: string }>> {
  const rows = await deps.db
    .select({ id: sandboxes.id, leaseOwner: sandboxes.leaseOwner, leaseUntil: sandboxes.leaseUntil })
    .from(sandboxes)
    .where(
      and(
        isNull(sandboxes.deletedAt),
        eq(sandboxes.hostId, deps.config.hostId),
        inArray(sandboxes.state, ['Stopping', 'Pending']),
        isNotNull(sandboxes.leaseOwner),
      ),
    );
  const abandoned = (r: (typeof rows)[number]) => (r.leaseOwner === deps.processId ? !deps.inFlight.has(r.id) : leaseIsDead(deps, r));
  return rows.filter(abandoned).map((r) => ({ id: r.id, leaseOwner: r.leaseOwner! }));
}
