import type { Deps } from '../deps.js';
import { claimDue } from './claim.js';
import { deliverGroup, type DeliverOptions } from './deliver.js';
import { DEFAULT_POLICY, type DeliveryPolicy } from './policy.js';

export type DispatchResult = { claimed: number; succeeded: number; retry: number; failed: number; lostLease: number };

/**
 * One dispatcher step: claim what is due (leases owned by deps.processId) and send it, endpoints in
 * parallel, each endpoint's deliveries in seq order. Tests call this directly; the loop in loops.ts does the
 * same without waiting for slow endpoints.
 */
export async function dispatchOnce(
  deps: Pick<Deps, 'db' | 'clock' | 'ids' | 'config' | 'processId' | 'log' | 'webhookTransport' | 'webhookSecrets'>,
  opts: DeliverOptions & { policy?: DeliveryPolicy } = {},
): Promise<DispatchResult> {
  const p = opts.policy ?? DEFAULT_POLICY;
  const groups = await claimDue(deps, p);
  const tallies = await Promise.all(groups.map((g) => deliverGroup(deps, p, g, opts)));
  const sum = (k: 'succeeded' | 'retry' | 'failed' | 'lost_lease') => tallies.reduce((n, t) => n + t[k], 0);
  return {
    claimed: groups.reduce((n, g) => n + g.deliveries.length, 0),
    succeeded: sum('succeeded'),
    retry: sum('retry'),
    failed: sum('failed'),
    lostLease: sum('lost_lease'),
  };
}
