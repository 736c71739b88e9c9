import { sql } from 'drizzle-orm';
import type { SendResult } from './transport.js';
import type { Deps } from '../deps.js';
import { ASYNC_COMMIT, rowsOf, type WebhookDeliveryRow } from './rows.js';

export type Success = { d: WebhookDeliveryRow; res: SendResult; attemptedAt: Date };

/**
 * The common case, batched: log the attempts and mark a run of deliveries succeeded in one statement (one
 * round trip, atomic on its own, committed without waiting for the WAL flush). Only for endpoints with no
 * failure record to clear. Rows whose lease this process lost are left alone but their attempts are logged.
 * A crash before this runs means those events are sent again: at-least-once, with the same webhook-id.
 */
export async function settleSuccesses(deps: Pick<Deps, 'db' | 'clock' | 'ids' | 'processId'>, items: Success[]): Promise<{ settled: number; lost: number }> {
  if (items.length === 0) return { settled: 0, lost: 0 };
  const now = deps.clock.now().toISOString();
  const arr = (xs: unknown[], type: string) =>
    sql`array[${sql.join(
      xs.map((x) => sql`${x}`),
      sql`, `,
    )}]::${sql.raw(type)}[]`;
  const [row] = rowsOf<{ moved: number }>(
    await deps.db.execute(sql`
      with relaxed as (${ASYNC_COMMIT}),
      input as (
        select * from unnest(
          ${arr(
            items.map((i) => i.d.id),
            'text',
          )},
          ${arr(
            items.map((i) => i.d.attempts + 1),
            'int',
          )},
          ${arr(
            items.map((i) => i.res.statusCode),
            'int',
          )},
          ${arr(
            items.map((i) => i.res.durationMs),
            'int',
          )},
          ${arr(
            items.map((i) => i.attemptedAt.toISOString()),
            'timestamptz',
          )},
          ${arr(
            items.map(() => deps.ids.prefixed('att')),
            'text',
          )}
        ) as u(id, attempts, code, duration, attempted_at, attempt_id)),
      moved as (
        update webhook_deliveries d
        set status = 'succeeded', attempts = input.attempts, next_attempt_at = ${now}::timestamptz,
            lease_owner = null, lease_until = null, last_status_code = input.code, last_error = null,
            updated_at = ${now}::timestamptz
        from input
        where d.id = input.id and d.lease_owner = ${deps.processId} and d.status = 'delivering'
        returning d.id),
      logged as (
        insert into webhook_attempts (id, delivery_id, attempted_at, status_code, duration_ms, error)
        select attempt_id, id, attempted_at, code, duration, null from input
        returning id)
      select (select count(*) from moved)::int as moved, (select count(*) from logged)::int as logged,
             (select count(*) from relaxed)::int as relaxed`),
  );
  const settled = Number(row?.moved ?? 0);
  return { settled, lost: items.length - settled };
}
