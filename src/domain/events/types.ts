/** Every event type berth emits. Webhook filters and the SSE `types` filter accept these names. */
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
  'webhook.test',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export type NewEvent = {
  type: EventType;
  sandboxId?: string | null;
  mountId?: string | null;
  fromState?: string | null;
  toState?: string | null;
  /** machine code: user_delete, ttl_expiry, container_exited, ... */
  reason?: string | null;
  /** api:<requestId> | reaper | reconciler | docker-events | ledger | webhooks */
  actor: string;
  /** never secrets */
  data?: Record<string, unknown>;
};
