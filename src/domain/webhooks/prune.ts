import { sql } from 'drizzle-orm';
import type { Deps } from '../deps.js';
import { FANOUT_CURSOR, rowsOf } from './rows.js';

export type PruneResult = { events: number; deliveries: number };

const CHUNK = 1000;

/**
 * Retention (config.eventRetentionHours): delete finished delivery records (attempts go with them) and
 * events older than the cutoff, in chunks so no statement holds locks for long. Never deleted: an event the
 * fan-out has not reached yet, or one a delivery still wants to send. Unfinished deliveries are dropped
 * only when their endpoint is disabled (they would wait for a re-enable forever).
 */
export async function pruneOnce(deps: Pick<Deps, 'db' | 'clock' | 'config'>): Promise<PruneResult> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.config.eventRetentionHours * 3_600_000).toISOString();
  let deliveries = 0;
  for (;;) {
    const gone = rowsOf<{ id: string }>(
      await deps.db.execute(sql`
        delete from webhook_deliveries where id in (
          select d.id from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
          where (d.status in ('succeeded', 'failed') and d.updated_at < ${cutoff}::timestamptz)
             or (not e.enabled and d.created_at < ${cutoff}::timestamptz)
          limit ${CHUNK})
        returning id`),
    );
    deliveries += gone.length;
    if (gone.length < CHUNK) break;
  }
  let events = 0;
  for (;;) {
    const gone = rowsOf<{ seq: unknown }>(
      await deps.db.execute(sql`
        delete from events where seq in (
          select ev.seq from events ev
          where ev.created_at < ${cutoff}::timestamptz
            and ev.seq <= coalesce((select last_seq from webhook_cursor where name = ${FANOUT_CURSOR}), 0)
            and not exists (
              select 1 from webhook_deliveries d
              where d.event_seq = ev.seq and d.status in ('pending', 'delivering'))
          order by ev.seq
          limit ${CHUNK})
        returning seq`),
    );
    events += gone.length;
    if (gone.length < CHUNK) break;
  }
  return { events, deliveries };
}
