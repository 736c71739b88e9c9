import { inArray, sql } from 'drizzle-orm';
import { webhookDeliveries } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { withTx } from '../../db/tx.js';
import type { DeliveryPolicy } from './policy.js';
import { ASYNC_COMMIT_EXPR, rowsOf, type WebhookDeliveryRow } from './rows.js';

/** Deliveries claimed for one endpoint, in seq order, to be sent one after another. */
export type ClaimedGroup = { endpointId: string; deliveries: WebhookDeliveryRow[] };

// A delivery is claimable when it is pending (or its lease ran out), due, its endpoint is enabled, and no
// earlier delivery to the same endpoint holds it back: one in flight, or one waiting for a retry that has
// not yet failed policy.orderHoldAttempts times. That keeps per-endpoint seq order while the endpoint is
// healthy or briefly down, without letting one poisoned event block the endpoint for days.
const candidatesSql = (now: string, p: DeliveryPolicy) => sql`
  select id, endpoint_id, event_seq from (
    select d.id, d.endpoint_id, d.event_seq,
           row_number() over (partition by d.endpoint_id order by d.event_seq, d.created_at) as rn
    from webhook_deliveries d
    join webhook_endpoints e on e.id = d.endpoint_id and e.enabled
    where (d.status = 'pending' or (d.status = 'delivering' and d.lease_until < ${now}::timestamptz))
      and d.next_attempt_at <= ${now}::timestamptz
      and not exists (
        select 1 from webhook_deliveries p
        where p.endpoint_id = d.endpoint_id and p.event_seq < d.event_seq
          and p.status in ('pending', 'delivering') -- matches the partial index webhook_deliveries_open_idx
          and (
            (p.status = 'delivering' and p.lease_until >= ${now}::timestamptz)
            or (p.next_attempt_at > ${now}::timestamptz and p.attempts < ${p.orderHoldAttempts})
          )
      )
  ) c
  where rn <= ${p.perEndpointBatch}
  order by event_seq
  limit ${p.claimLimit}`;

/**
 * Lease due deliveries to this process (leaseOwner = processId). Candidates are locked with SKIP LOCKED, so
 * two dispatchers never claim the same row; for each endpoint only an unbroken prefix of its candidates is
 * kept (a row another dispatcher holds ends the prefix), so two processes never send one endpoint's events
 * out of order. The lease covers the sends queued before a row, so a crash frees rows roughly in order.
 */
export async function claimDue(deps: Pick<Deps, 'db' | 'clock' | 'processId'>, p: DeliveryPolicy): Promise<ClaimedGroup[]> {
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  // Outside the transaction: an idle dispatcher costs one query per tick. (Under READ COMMITTED every
  // statement takes its own snapshot anyway; the locking query below re-checks each row.)
  const candidates = rowsOf<{ id: string; endpoint_id: string; event_seq: string | number }>(await deps.db.execute(candidatesSql(nowIso, p)));
  if (candidates.length === 0) return [];
  return withTx(deps.db, async (tx) => {
    const locked = new Set(
      rowsOf<{ id: string }>(
        await tx.execute(sql`
          select id, ${ASYNC_COMMIT_EXPR} from webhook_deliveries
          where id in (${sql.join(
            candidates.map((c) => sql`${c.id}`),
            sql`, `,
          )})
            and (status = 'pending' or (status = 'delivering' and lease_until < ${nowIso}::timestamptz))
            and next_attempt_at <= ${nowIso}::timestamptz
          for update skip locked`),
      ).map((r) => r.id),
    );
    const byEndpoint = new Map<string, string[]>();
    const broken = new Set<string>();
    for (const c of candidates) {
      if (broken.has(c.endpoint_id)) continue;
      if (!locked.has(c.id)) {
        broken.add(c.endpoint_id);
        continue;
      }
      byEndpoint.set(c.endpoint_id, [...(byEndpoint.get(c.endpoint_id) ?? []), c.id]);
    }
    // One statement leases them all; row i of an endpoint's run is leased for the i + 1 sends before it.
    const lease = [...byEndpoint.values()].flatMap((ids) =>
      ids.map((id, i) => ({ id, until: new Date(now.getTime() + (i + 1) * (p.requestTimeoutMs + 5_000)).toISOString() })),
    );
    if (lease.length === 0) return [];
    const leaseUntil = sql`(case ${webhookDeliveries.id} ${sql.join(
      lease.map((l) => sql`when ${l.id} then ${l.until}::timestamptz`),
      sql` `,
    )} end)`;
    const rows = await tx
      .update(webhookDeliveries)
      .set({ status: 'delivering', leaseOwner: deps.processId, leaseUntil, updatedAt: now })
      .where(
        inArray(
          webhookDeliveries.id,
          lease.map((l) => l.id),
        ),
      )
      .returning();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const groups: ClaimedGroup[] = [...byEndpoint].map(([endpointId, ids]) => ({
      endpointId,
      deliveries: ids.map((id) => byId.get(id)!),
    }));
    return groups;
  });
}
