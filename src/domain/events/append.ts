import { sql } from 'drizzle-orm';
import { LOCK_KEYS } from '../../db/locks.js';
import { events } from '../../db/schema/index.js';
import { withTx } from '../../db/tx.js';
import type { Clock, Db, Ids } from '../ports.js';
import type { NewEvent } from './types.js';

// Identity values are handed out at insert time, not at commit, so two concurrent transactions could
// commit seq 11 before seq 10 and a reader at "seq > 10" would skip 10 forever. Taking this lock before
// the insert makes seq order equal commit order: the lock is held until the appending transaction ends.
const EVENT_APPEND_LOCK = LOCK_KEYS.eventAppend;

/**
 * Append events inside the caller's transaction (call it last in the transaction: the lock is held to commit).
 * Returns the new rows' ids and sequence numbers in insertion order.
 */
export async function appendEvents(tx: Db, deps: { ids: Ids; clock: Clock }, list: NewEvent[]): Promise<Array<{ id: string; seq: number }>> {
  if (list.length === 0) return [];
  await tx.execute(sql`select pg_advisory_xact_lock(${EVENT_APPEND_LOCK})`);
  const now = deps.clock.now();
  return tx
    .insert(events)
    .values(
      list.map((e) => ({
        id: deps.ids.event(),
        type: e.type,
        sandboxId: e.sandboxId ?? null,
        mountId: e.mountId ?? null,
        fromState: e.fromState ?? null,
        toState: e.toState ?? null,
        reason: e.reason ?? null,
        actor: e.actor,
        data: e.data ?? {},
        createdAt: now,
      })),
    )
    .returning({ id: events.id, seq: events.seq });
}

export const appendEvent = (tx: Db, deps: { ids: Ids; clock: Clock }, e: NewEvent) => appendEvents(tx, deps, [e]);

/** One event in a transaction of its own: the record of an action whose effect is outside the database. */
export const recordEvent = (deps: { db: Db; ids: Ids; clock: Clock }, e: NewEvent) => withTx(deps.db, (tx) => appendEvent(tx, deps, e));
