import { and, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import { events, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { appendEvent } from '../events/append.js';
import { withTx } from '../../db/tx.js';
import { toDeliveryDto, type WebhookDeliveryDto } from './dto.js';
import { deliveryInProgress, deliveryNotFound, endpointDisabled, webhookNotFound } from './errors.js';
import type { DeliveryStatus } from './rows.js';

export type ListDeliveriesInput = { limit: number; beforeSeq?: number; status?: DeliveryStatus };

/** An endpoint's deliveries, newest event first, each with its attempt log. Page with beforeSeq. */
export async function listDeliveries(deps: Pick<Deps, 'db'>, endpointId: string, input: ListDeliveriesInput): Promise<WebhookDeliveryDto[]> {
  const [ep] = await deps.db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
  if (!ep) throw webhookNotFound(endpointId);
  const where: SQL[] = [eq(webhookDeliveries.endpointId, endpointId)];
  if (input.beforeSeq !== undefined) where.push(lt(webhookDeliveries.eventSeq, input.beforeSeq));
  if (input.status) where.push(eq(webhookDeliveries.status, input.status));
  const rows = await deps.db
    .select({ d: webhookDeliveries, type: events.type })
    .from(webhookDeliveries)
    .leftJoin(events, eq(events.seq, webhookDeliveries.eventSeq))
    .where(and(...where))
    .orderBy(desc(webhookDeliveries.eventSeq), desc(webhookDeliveries.createdAt))
    .limit(input.limit);
  const ids = rows.map((r) => r.d.id);
  const attempts = ids.length
    ? await deps.db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, ids)).orderBy(webhookAttempts.attemptedAt)
    : [];
  return rows.map((r) =>
    toDeliveryDto(
      r.d,
      r.type,
      attempts.filter((a) => a.deliveryId === r.d.id),
    ),
  );
}

/**
 * Send a finished delivery's event again as a new delivery (fresh attempt count and retries); the original
 * keeps its history. A delivery that is still pending or in flight is refused: it will be sent anyway. Who
 * asked is logged in the same transaction (a log-only event: receivers get the redelivery, not news of it).
 */
export async function redeliver(deps: Pick<Deps, 'db' | 'clock' | 'ids'>, endpointId: string, deliveryId: string, actor: string): Promise<WebhookDeliveryDto> {
  return withTx(deps.db, async (tx) => {
    const [ep] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId)).for('share');
    if (!ep) throw webhookNotFound(endpointId);
    const [d] = await tx
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpointId)));
    if (!d) throw deliveryNotFound(deliveryId);
    if (d.status === 'pending' || d.status === 'delivering') throw deliveryInProgress(deliveryId);
    if (!ep.enabled) throw endpointDisabled(endpointId);
    const [ev] = await tx.select({ type: events.type }).from(events).where(eq(events.seq, d.eventSeq));
    if (!ev) throw deliveryNotFound(deliveryId); // its event is past retention
    const now = deps.clock.now();
    const [row] = await tx
      .insert(webhookDeliveries)
      .values({
        id: deps.ids.prefixed('dlv'),
        endpointId,
        eventSeq: d.eventSeq,
        eventId: d.eventId,
        status: 'pending',
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await appendEvent(tx, deps, {
      type: 'webhook.redelivered',
      actor,
      data: { endpointId, deliveryId: row!.id, redeliveryOf: deliveryId, eventId: d.eventId, eventSeq: d.eventSeq },
    });
    return toDeliveryDto(row!, ev.type, []);
  });
}
