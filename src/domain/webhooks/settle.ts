import { and, eq, inArray, sql } from 'drizzle-orm';
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.js';
import type { SendResult } from './transport.js';
import type { Deps } from '../deps.js';
import { appendEvent } from '../events/append.js';
import { withTx } from '../../db/tx.js';
import { nextDelayMs, parseRetryAfter, type DeliveryPolicy } from './policy.js';
import { ASYNC_COMMIT, type WebhookDeliveryRow } from './rows.js';

type D = Pick<Deps, 'db' | 'clock' | 'ids' | 'processId'>;

export type Outcome = 'succeeded' | 'retry' | 'failed' | 'lost_lease';

/**
 * Record one attempt and move the delivery on: succeeded, pending with the next retry time, or failed when
 * attempts are exhausted or the receiver answered 410 Gone. The delivery is only changed while this process
 * still holds its lease; if the lease ran out and another dispatcher took over, the attempt is still logged
 * (it happened) but the other dispatcher decides the outcome.
 */
export async function settleAttempt(
  deps: D,
  p: DeliveryPolicy,
  d: WebhookDeliveryRow,
  res: SendResult,
  attemptedAt: Date,
  random: () => number = Math.random,
): Promise<Outcome> {
  const now = deps.clock.now();
  const ok = res.statusCode !== null && res.statusCode >= 200 && res.statusCode < 300;
  const gone = res.statusCode === 410;
  const attempts = d.attempts + 1;
  const delay = ok || gone ? null : nextDelayMs(p, attempts, random, parseRetryAfter(res.retryAfter, now));
  const outcome: Outcome = ok ? 'succeeded' : delay === null ? 'failed' : 'retry';
  return withTx(deps.db, async (tx) => {
    await tx.execute(ASYNC_COMMIT);
    await tx.insert(webhookAttempts).values({
      id: deps.ids.prefixed('att'),
      deliveryId: d.id,
      attemptedAt,
      statusCode: res.statusCode,
      durationMs: res.durationMs,
      error: res.error,
    });
    const [moved] = await tx
      .update(webhookDeliveries)
      .set({
        status: outcome === 'retry' ? 'pending' : outcome,
        attempts,
        nextAttemptAt: delay === null ? now : new Date(now.getTime() + delay),
        leaseOwner: null,
        leaseUntil: null,
        lastStatusCode: res.statusCode,
        lastError: res.error,
        updatedAt: now,
      })
      .where(and(eq(webhookDeliveries.id, d.id), eq(webhookDeliveries.leaseOwner, deps.processId), eq(webhookDeliveries.status, 'delivering')))
      .returning({ id: webhookDeliveries.id });
    if (!moved) return 'lost_lease';
    if (ok) {
      await tx
        .update(webhookEndpoints)
        .set({ consecutiveFailures: 0, failingSince: null })
        .where(and(eq(webhookEndpoints.id, d.endpointId), sql`${webhookEndpoints.consecutiveFailures} <> 0`));
      return outcome;
    }
    const [ep] = await tx
      .update(webhookEndpoints)
      .set({
        consecutiveFailures: sql`${webhookEndpoints.consecutiveFailures} + 1`,
        failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${attemptedAt.toISOString()}::timestamptz)`,
      })
      .where(eq(webhookEndpoints.id, d.endpointId))
      .returning();
    const failingLong = !!ep?.failingSince && ep.consecutiveFailures >= p.disableMinFailures && now.getTime() - ep.failingSince.getTime() >= p.disableAfterMs;
    if (ep && (gone || failingLong)) await disableEndpoint(tx, deps, d.endpointId, gone ? 'gone' : 'failing', now);
    return outcome;
  });
}

/** Disable once (the conditional update makes a second disabler a no-op) and say so in the event log. */
async function disableEndpoint(tx: Deps['db'], deps: D, endpointId: string, reason: 'gone' | 'failing', now: Date) {
  const message = reason === 'gone' ? 'receiver answered 410 Gone' : 'deliveries kept failing';
  const [off] = await tx
    .update(webhookEndpoints)
    .set({ enabled: false, disabledReason: message, updatedAt: now })
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.enabled, true)))
    .returning({ id: webhookEndpoints.id, failures: webhookEndpoints.consecutiveFailures });
  if (!off) return;
  await appendEvent(tx, deps, {
    type: 'webhook.disabled',
    reason: reason === 'gone' ? 'endpoint_gone' : 'endpoint_failing',
    actor: 'webhooks',
    data: { endpointId, consecutiveFailures: off.failures },
  });
}

/** Hand leased deliveries back untouched (no attempt made), e.g. after an earlier one in the group failed. */
export async function releaseLeases(deps: Pick<Deps, 'db' | 'clock' | 'processId'>, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await deps.db
    .update(webhookDeliveries)
    .set({ status: 'pending', leaseOwner: null, leaseUntil: null, updatedAt: deps.clock.now() })
    .where(and(inArray(webhookDeliveries.id, ids), eq(webhookDeliveries.leaseOwner, deps.processId), eq(webhookDeliveries.status, 'delivering')));
}
