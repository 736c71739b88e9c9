/**
 * In the log and on the event stream (an operator's audit trail), never fanned out to webhook endpoints.
 * webhook.test has its one delivery made by sendTestEvent. A redelivery or a secret rotation is an operator
 * looking after an endpoint, not something that happened to a sandbox. The terminal and file entries record
 * what a dashboard session did inside a sandbox; execd's API (the SDK's data plane) records no such events,
 * so a receiver would see only part of that traffic. A dashboard session's sign-in and sign-out open and
 * close its trail.
 */
const LOG_ONLY = [
  'webhook.test',
  'webhook.redelivered',
  'webhook.secret_rotated',
  'sandbox.terminal_opened',
  'sandbox.files_uploaded',
  'sandbox.files_deleted',
  'dashboard.signed_in',
  'dashboard.signed_out',
] as const;

/** Every event type berth emits. The SSE `types` filter accepts these names, webhook filters SUBSCRIBABLE_EVENT_TYPES. */
export const EVENT_TYPES = [
  'sandbox.created',
  'sandbox.running',
  'sandbox.paused',
  'sandbox.resumed',
  'sandbox.renewed',
  'sandbox.metadata_updated',
  'sandbox.expired',
  'sandbox.deleted',
  'sandbox.terminated',
  'sandbox.failed',
  'snapshot.created',
  'snapshot.ready',
  'snapshot.failed',
  'snapshot.deleted',
  'mount.mounted',
  'mount.unmounted',
  'mount.failed',
  'mount.degraded',
  'mount.recovered',
  'pool.created',
  'pool.updated',
  'pool.deleted',
  'pool.claimed',
  'webhook.disabled',
  ...LOG_ONLY,
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const LOG_ONLY_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>(LOG_ONLY);

/**
 * What a webhook endpoint's filter may name: every type that is fanned out, and webhook.test, accepted since
 * the first release (its delivery goes to the endpoint tested whatever its filter says).
 */
export const SUBSCRIBABLE_EVENT_TYPES = EVENT_TYPES.filter((t) => t === 'webhook.test' || !LOG_ONLY_EVENT_TYPES.has(t)) as [EventType, ...EventType[]];

export type NewEvent = {
  type: EventType;
  sandboxId?: string | null;
  mountId?: string | null;
  fromState?: string | null;
  toState?: string | null;
  /** machine code: user_delete, ttl_expiry, container_exited, ... */
  reason?: string | null;
  /** api:<requestId> | dashboard:<session id> | reaper | reconciler | docker-events | ledger | webhooks */
  actor: string;
  /** never secrets */
  data?: Record<string, unknown>;
};
