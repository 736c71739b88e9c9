import { and, eq, isNull } from 'drizzle-orm';
import { sandboxes, type SandboxRow, type SandboxState } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { sandboxNotFound, type DomainError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import type { NewEvent } from '../events/types.js';
import { withTx } from '../../db/tx.js';

type Transition = {
  from: readonly SandboxState[];
  to: SandboxState;
  reason: string;
  message: string;
  /** the 409 to answer when the current state is not in `from` */
  refuse: (row: SandboxRow) => DomainError;
  lease?: number;
  event?: Omit<NewEvent, 'sandboxId' | 'fromState' | 'toState'>;
};

/**
 * Move a live sandbox from one of `from` to `to` under a row lock, so two requests can never both
 * win the same transition (pause vs pause, delete vs reaper). Returns the row as it was before.
 */
export async function transition(deps: Pick<Deps, 'db' | 'clock' | 'ids' | 'processId'>, id: string, t: Transition): Promise<SandboxRow> {
  return withTx(deps.db, async (tx) => {
    const [row] = await tx
      .select()
      .from(sandboxes)
      .where(and(eq(sandboxes.id, id), isNull(sandboxes.deletedAt)))
      .for('update');
    if (!row) throw sandboxNotFound(id);
    if (!t.from.includes(row.state)) throw t.refuse(row);
    const now = deps.clock.now();
    await tx
      .update(sandboxes)
      .set({
        state: t.to,
        reason: t.reason,
        message: t.message,
        lastTransitionAt: now,
        updatedAt: now,
        leaseOwner: t.lease ? deps.processId : null,
        leaseUntil: t.lease ? new Date(now.getTime() + t.lease) : null,
      })
      .where(eq(sandboxes.id, id));
    if (t.event) await appendEvent(tx, deps, { ...t.event, sandboxId: id, fromState: row.state, toState: t.to });
    return row;
  });
}

/** Settle an in-flight transition (Pausing -> Paused, ...) if the row is still where we left it. */
export async function settle(
  deps: Pick<Deps, 'db' | 'clock' | 'ids'>,
  id: string,
  s: {
    from: SandboxState;
    to: SandboxState;
    reason: string;
    message: string;
    event?: Omit<NewEvent, 'sandboxId' | 'fromState' | 'toState'>;
    eventFrom?: string;
  },
): Promise<boolean> {
  return withTx(deps.db, async (tx) => {
    const now = deps.clock.now();
    const [r] = await tx
      .update(sandboxes)
      .set({ state: s.to, reason: s.reason, message: s.message, lastTransitionAt: now, updatedAt: now, leaseOwner: null, leaseUntil: null })
      .where(and(eq(sandboxes.id, id), eq(sandboxes.state, s.from), isNull(sandboxes.deletedAt)))
      .returning({ id: sandboxes.id });
    if (r && s.event) await appendEvent(tx, deps, { ...s.event, sandboxId: id, fromState: s.eventFrom ?? s.from, toState: s.to });
    return Boolean(r);
  });
}
