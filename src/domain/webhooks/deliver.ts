import { eq, inArray } from 'drizzle-orm';
import { events, webhookEndpoints } from '../../db/schema/index.js';
import { checkWebhookUrl } from './address-policy.js';
import type { Resolver, SendResult, Sender } from './transport.js';
import type { Deps } from '../deps.js';
import { toEventDto, type EventDto } from '../events/dto.js';
import type { ClaimedGroup } from './claim.js';
import type { DeliveryPolicy } from './policy.js';
import { signingSecrets } from './secrets.js';
import { releaseLeases, settleAttempt, type Outcome } from './settle.js';
import { settleSuccesses, type Success } from './settle-success.js';
import { signedHeaders } from './signature.js';

export type DeliverDeps = Pick<Deps, 'db' | 'clock' | 'ids' | 'config' | 'processId' | 'log' | 'webhookTransport' | 'webhookSecrets'>;
export type DeliverOptions = {
  send?: Sender;
  resolve?: Resolver;
  random?: () => number;
  /** shutdown: stop sending, hand unsent (and interrupted) deliveries back without counting an attempt */
  signal?: AbortSignal;
};

/** The Standard Webhooks payload: `{type, timestamp, data}`; data is the same event object SSE clients get. */
export function webhookBody(ev: EventDto): string {
  return JSON.stringify({ type: ev.type, timestamp: ev.time, data: ev });
}

const noAttempt = (error: string): SendResult => ({ statusCode: null, durationMs: 0, error, retryAfter: null });

/**
 * Send one endpoint's claimed deliveries in seq order, one after another. The first failure ends the run
 * and hands the rest back unattempted, so a later event never overtakes an earlier one that is waiting for
 * its retry.
 */
export async function deliverGroup(deps: DeliverDeps, p: DeliveryPolicy, group: ClaimedGroup, opts: DeliverOptions = {}) {
  const send = opts.send ?? deps.webhookTransport.send;
  const tally: Record<Outcome, number> = { succeeded: 0, retry: 0, failed: 0, lost_lease: 0 };
  const list = group.deliveries;
  if (list.length === 0) return tally;
  const [ep] = await deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, group.endpointId));
  if (!ep) return tally; // deleted meanwhile: its deliveries went with it
  if (!ep.enabled) {
    await releaseLeases(
      deps,
      list.map((d) => d.id),
    );
    return tally;
  }
  const evRows = await deps.db
    .select()
    .from(events)
    .where(
      inArray(
        events.seq,
        list.map((d) => Number(d.eventSeq)),
      ),
    );
  const bySeq = new Map(evRows.map((r) => [Number(r.seq), toEventDto(r)]));
  const urlCheck = await checkWebhookUrl(ep.url, deps.config.webhookAllowPrivate, opts.resolve ?? deps.webhookTransport.resolve);

  // While the endpoint has no failure record, successes are settled together (one statement per run);
  // anything else goes through settleAttempt, after the successes before it.
  let failing = ep.consecutiveFailures > 0;
  const ok: Success[] = [];
  const flush = async () => {
    const r = await settleSuccesses(deps, ok.splice(0));
    tally.succeeded += r.settled;
    tally.lost_lease += r.lost;
  };
  for (const [i, d] of list.entries()) {
    if (opts.signal?.aborted) {
      await releaseLeases(
        deps,
        list.slice(i).map((x) => x.id),
      );
      break;
    }
    const ev = bySeq.get(Number(d.eventSeq));
    const attemptedAt = deps.clock.now();
    let res: SendResult;
    if (!ev) res = noAttempt('event no longer retained');
    else if (!urlCheck.ok) res = noAttempt(`address not allowed (${urlCheck.reason})`);
    else {
      const body = webhookBody(ev);
      const ts = Math.floor(attemptedAt.getTime() / 1000);
      const headers = signedHeaders(signingSecrets(deps.webhookSecrets, ep, attemptedAt), ev.id, ts, body);
      res = await send({ url: ep.url, headers: { ...headers }, body, timeoutMs: p.requestTimeoutMs, signal: opts.signal });
      if (opts.signal?.aborted && res.statusCode === null) {
        // Interrupted by shutdown: the receiver may or may not have it; another run sends it (again).
        await flush();
        await releaseLeases(
          deps,
          list.slice(i).map((x) => x.id),
        );
        break;
      }
    }
    const is2xx = res.statusCode !== null && res.statusCode >= 200 && res.statusCode < 300;
    if (is2xx && !failing) {
      ok.push({ d, res, attemptedAt });
      continue;
    }
    await flush();
    // An event pruned from the log can never be sent: give up on it at once rather than retry for days.
    const outcome = await settleAttempt(deps, ev ? p : { ...p, scheduleMs: [] }, d, res, attemptedAt, opts.random);
    tally[outcome]++;
    failing = outcome !== 'succeeded';
    // Stop on a failure that will be retried (order), on 410 (endpoint now disabled) and on a lost lease
    // (another dispatcher owns these rows now; sending more would only duplicate).
    if (outcome === 'retry' || outcome === 'lost_lease' || (outcome === 'failed' && ev && res.statusCode === 410)) {
      await releaseLeases(
        deps,
        list.slice(i + 1).map((x) => x.id),
      );
      break;
    }
  }
  await flush();
  return tally;
}
