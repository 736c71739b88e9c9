import { eq } from 'drizzle-orm';
import { webhookDeliveries, webhookEndpoints } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { appendEvent } from '../events/append.js';
import { withTx } from '../../db/tx.js';
import { endpointDisabled, webhookNotFound } from './errors.js';

/**
 * Queue a `webhook.test` event for one endpoint. The event goes into the log like any other (so it has a
 * seq, an id and shows on the event stream) and its single delivery is created here in the same
 * transaction; the fan-out never sends webhook.test to anyone else. The dispatcher sends it, so the test
 * exercises the real path: signing, retries, the delivery log.
 */
export async function sendTestEvent(
  deps: Pick<Deps, 'db' | 'clock' | 'ids'>,
  endpointId: string,
  actor: string,
): Promise<{ eventId: string; deliveryId: string }> {
  return withTx(deps.db, async (tx) => {
    const [ep] = await tx
      .select({ id: webhookEndpoints.id, enabled: webhookEndpoints.enabled })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpointId))
      .for('share');
    if (!ep) throw webhookNotFound(endpointId);
    if (!ep.enabled) throw endpointDisabled(endpointId);
    const [ev] = await appendEvent(tx, deps, {
      type: 'webhook.test',
      actor,
      data: { endpointId, message: 'This is a test event from berth.' },
    });
    const now = deps.clock.now();
    const deliveryId = deps.ids.prefixed('dlv');
    await tx.insert(webhookDeliveries).values({
      id: deliveryId,
      endpointId,
      eventSeq: ev!.seq,
      eventId: ev!.id,
      status: 'pending',
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    });
    return { eventId: ev!.id, deliveryId };
  });
}
