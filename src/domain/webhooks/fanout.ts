import { asc, eq, gt, sql } from 'drizzle-orm';
import { events, webhookCursor, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { LOG_ONLY_EVENT_TYPES, type EventType } from '../events/types.js';
import { withTx } from '../../db/tx.js';
import { ASYNC_COMMIT_EXPR, FANOUT_CURSOR, rowsOf } from './rows.js';

export type FanoutResult = { events: number; deliveries: number; busy: boolean };

/**
 * Turn new log entries into delivery rows, one per (event, matching enabled endpoint), and advance the
 * cursor, all in one transaction: a crash either loses nothing or repeats nothing. The cursor row is taken
 * with SKIP LOCKED, so with two processes one fans out and the other moves on (busy). Reading `seq > cursor`
 * is gap-free because appendEvents commits events in seq order.
 *
 * Not fanned out: the log-only types (LOG_ONLY_EVENT_TYPES: webhook.test, redeliveries, secret rotations,
 * a dashboard's terminal and file actions), events older than the endpoint
 * (a new endpoint starts with what happens after it exists), and anything while an endpoint is disabled.
 */
export async function fanoutOnce(deps: Pick<Deps, 'db' | 'ids' | 'clock'>, opts: { batch?: number } = {}): Promise<FanoutResult> {
  const batch = opts.batch ?? 500;
  // A cheap look first, so an idle dispatcher does not open a transaction every tick.
  const [peek] = rowsOf<{ pending: boolean }>(
    await deps.db.execute(sql`
      select exists (
        select 1 from events
        where seq > coalesce((select last_seq from webhook_cursor where name = ${FANOUT_CURSOR}), 0)
      ) as pending`),
  );
  if (!peek?.pending) return { events: 0, deliveries: 0, busy: false };
  return withTx(deps.db, async (tx) => {
    const [locked] = rowsOf<{ last_seq: string | number }>(
      await tx.execute(sql`
        select last_seq, ${ASYNC_COMMIT_EXPR} from webhook_cursor
        where name = ${FANOUT_CURSOR} for update skip locked`),
    );
    let lastSeq = locked ? Number(locked.last_seq) : 0;
    if (!locked) {
      // First run ever (create the cursor, which also locks it) or another process holds it (busy).
      const created = await tx.insert(webhookCursor).values({ name: FANOUT_CURSOR, lastSeq: 0 }).onConflictDoNothing().returning();
      if (created.length === 0) return { events: 0, deliveries: 0, busy: true };
      lastSeq = 0;
    }

    const evs = await tx
      .select({ seq: events.seq, id: events.id, type: events.type, createdAt: events.createdAt })
      .from(events)
      .where(gt(events.seq, lastSeq))
      .orderBy(asc(events.seq))
      .limit(batch);
    if (evs.length === 0) return { events: 0, deliveries: 0, busy: false };

    const endpoints = await tx
      .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes, createdAt: webhookEndpoints.createdAt })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.enabled, true));
    const now = deps.clock.now();
    const rows = evs.flatMap((ev) =>
      LOG_ONLY_EVENT_TYPES.has(ev.type as EventType)
        ? []
        : endpoints
            .filter((ep) => ev.createdAt >= ep.createdAt && (ep.eventTypes.length === 0 || ep.eventTypes.includes(ev.type)))
            .map((ep) => ({
              id: deps.ids.prefixed('dlv'),
              endpointId: ep.id,
              eventSeq: ev.seq,
              eventId: ev.id,
              status: 'pending',
              nextAttemptAt: now,
              createdAt: now,
              updatedAt: now,
            })),
    );
    for (let i = 0; i < rows.length; i += 1000) await tx.insert(webhookDeliveries).values(rows.slice(i, i + 1000));
    await tx
      .update(webhookCursor)
      .set({ lastSeq: evs[evs.length - 1]!.seq })
      .where(eq(webhookCursor.name, FANOUT_CURSOR));
    return { events: evs.length, deliveries: rows.length, busy: false };
  });
}
