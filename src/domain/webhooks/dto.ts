import type { DeliveryStatus, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from './rows.js';

/** An endpoint as the API shows it. The secret is never part of it (only create and rotate return it, once). */
export type WebhookEndpointDto = {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
};

export function toEndpointDto(r: WebhookEndpointRow): WebhookEndpointDto {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: r.eventTypes,
    enabled: r.enabled,
    disabledReason: r.disabledReason,
    consecutiveFailures: r.consecutiveFailures,
    failingSince: r.failingSince?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export type WebhookAttemptDto = { attemptedAt: string; statusCode: number | null; durationMs: number; error: string | null };

export type WebhookDeliveryDto = {
  id: string;
  endpointId: string;
  eventId: string;
  eventSeq: number;
  eventType: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  attemptLog: WebhookAttemptDto[];
};

export function toDeliveryDto(d: WebhookDeliveryRow, eventType: string | null, attempts: WebhookAttemptRow[]): WebhookDeliveryDto {
  const open = d.status === 'pending' || d.status === 'delivering';
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventId: d.eventId,
    eventSeq: Number(d.eventSeq),
    eventType,
    status: d.status as DeliveryStatus,
    attempts: d.attempts,
    nextAttemptAt: open ? d.nextAttemptAt.toISOString() : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    attemptLog: attempts.map((a) => ({
      attemptedAt: a.attemptedAt.toISOString(),
      statusCode: a.statusCode,
      durationMs: a.durationMs,
      error: a.error,
    })),
  };
}
