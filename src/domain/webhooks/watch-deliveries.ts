import { setTimeout as sleep } from 'node:timers/promises';
import { eq, sql } from 'drizzle-orm';
import { webhookDeliveries } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';

export type DeliveriesChange = { kind: 'changed' } | { kind: 'heartbeat' };

/**
 * Changes to one endpoint's deliveries, for a page that shows them live: a delivery made by the fan-out,
 * claimed, settled (each attempt), redelivered or pruned. A delivery's progress is not in the event log
 * (an event per attempt would put the log's append lock on every delivery), so this asks the deliveries
 * table itself: one indexed aggregate per `pollMs`, as the event tail polls the log. `since` is the version
 * the page was rendered at (deliveriesVersion), so a change between the render and the connection is not
 * missed, as a page's ?after=<seq> does for the event stream.
 */
export async function* watchDeliveries(
  deps: Pick<Deps, 'db'>,
  endpointId: string,
  opts: { signal: AbortSignal; since?: string; pollMs?: number; heartbeatMs?: number },
): AsyncGenerator<DeliveriesChange> {
  const pollMs = opts.pollMs ?? 1000;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  let seen = opts.since ?? (await deliveriesVersion(deps, endpointId));
  let lastWrite = Date.now();
  while (!opts.signal.aborted) {
    try {
      await sleep(pollMs, undefined, { signal: opts.signal });
    } catch {
      return; // aborted
    }
    const now = await deliveriesVersion(deps, endpointId);
    if (now !== seen) {
      seen = now;
      lastWrite = Date.now();
      yield { kind: 'changed' };
    } else if (Date.now() - lastWrite >= heartbeatMs) {
      lastWrite = Date.now();
      yield { kind: 'heartbeat' };
    }
  }
}

/** Every write to a delivery sets its updated_at, and a prune lowers the count: together they name the state. */
export async function deliveriesVersion(deps: Pick<Deps, 'db'>, endpointId: string): Promise<string> {
  const [row] = await deps.db
    .select({ latest: sql<string | null>`max(${webhookDeliveries.updatedAt})::text`, count: sql<number>`count(*)::int` })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpointId));
  return `${row?.latest ?? ''}/${row?.count ?? 0}`;
}
