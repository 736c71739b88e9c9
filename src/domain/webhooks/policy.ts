/**
 * Delivery policy. The retry schedule is the one the Standard Webhooks spec gives as its example (and
 * close to Svix's): quick retries for blips, then hours apart for outages, about three days in all.
 */
export type DeliveryPolicy = {
  /** delay before retry n (index 0 = after the first failed attempt); its length + 1 is the attempt limit */
  scheduleMs: readonly number[];
  /** each delay is multiplied by a random factor in [1 - jitter, 1 + jitter] so retries do not stampede */
  jitter: number;
  requestTimeoutMs: number;
  /**
   * Per-endpoint ordering: a delivery is not attempted while an earlier one to the same endpoint is in
   * flight, or is waiting for a retry and has failed fewer than this many times. Past that, one stuck event
   * must not hold back everything behind it, so ordering gives way.
   */
  orderHoldAttempts: number;
  /** an endpoint failing without a single success for this long, and at least minFailures times, is disabled */
  disableAfterMs: number;
  disableMinFailures: number;
  /** the old secret keeps signing this long after a rotation */
  rotationGraceMs: number;
  /** most deliveries sent to one endpoint in one claim (sent one after another, in seq order) */
  perEndpointBatch: number;
  /** most deliveries claimed at once across all endpoints */
  claimLimit: number;
};

const S = 1000;
const M = 60 * S;
const H = 60 * M;

export const DEFAULT_POLICY: DeliveryPolicy = {
  scheduleMs: [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H],
  jitter: 0.2,
  requestTimeoutMs: 15 * S,
  orderHoldAttempts: 3,
  disableAfterMs: 5 * 24 * H,
  disableMinFailures: 10,
  rotationGraceMs: 24 * H,
  perEndpointBatch: 20,
  claimLimit: 200,
};

export function policyWith(overrides: Partial<DeliveryPolicy> = {}): DeliveryPolicy {
  return { ...DEFAULT_POLICY, ...overrides };
}

export const maxAttempts = (p: DeliveryPolicy) => p.scheduleMs.length + 1;

/**
 * Delay before the next attempt after `attempts` failed ones (1-based), or null when attempts are exhausted.
 * A receiver's Retry-After (429/503) is honoured when it asks for longer, capped at the schedule's longest step.
 */
export function nextDelayMs(p: DeliveryPolicy, attempts: number, random: () => number = Math.random, retryAfterMs?: number | null): number | null {
  const base = p.scheduleMs[attempts - 1];
  if (base === undefined) return null;
  const factor = 1 - p.jitter + 2 * p.jitter * random();
  const jittered = Math.round(base * factor);
  const cap = Math.max(...p.scheduleMs);
  return retryAfterMs && retryAfterMs > jittered ? Math.min(retryAfterMs, cap) : jittered;
}

/** Retry-After as seconds or an HTTP date, in ms from now; null when absent or unparseable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now.getTime());
}
