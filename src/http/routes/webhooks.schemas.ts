import { z } from '@hono/zod-openapi';
import { optionalQueryInt, queryInt } from './query-int.js';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../domain/events/types.js';

export { ErrorResponse as ErrorBody } from '../errors.js';

const EventTypeName = z.enum(SUBSCRIBABLE_EVENT_TYPES).openapi({ description: 'An event type berth delivers to webhook endpoints' });

export const WebhookEndpoint = z
  .object({
    id: z.string().openapi({ example: 'whk_018f0c2a3b4c9f1e2d3c4b5a6978' }),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()).openapi({ description: 'Types delivered to this endpoint; empty = all' }),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    failingSince: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WebhookEndpoint');

export const WebhookEndpointWithSecret = WebhookEndpoint.extend({
  secret: z.string().openapi({ description: 'whsec_ signing secret. Shown only in this response.' }),
}).openapi('WebhookEndpointWithSecret');

export const WebhookEndpointList = z.object({ items: z.array(WebhookEndpoint) }).openapi('WebhookEndpointList');

const Url = z.string().min(1).max(2048).openapi({ example: 'https://example.com/hooks/berth' });

export const CreateWebhookBody = z
  .object({
    url: Url,
    description: z.string().max(500).nullable().optional(),
    eventTypes: z.array(EventTypeName).optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi('CreateWebhookRequest');

export const UpdateWebhookBody = CreateWebhookBody.partial().strict().openapi('UpdateWebhookRequest');

export const WebhookIdParams = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: 'id', in: 'path' } }),
});
export const DeliveryParams = WebhookIdParams.extend({
  deliveryId: z
    .string()
    .min(1)
    .openapi({ param: { name: 'deliveryId', in: 'path' } }),
});

export const ListDeliveriesQuery = z.object({
  limit: queryInt(50, 1, 200),
  beforeSeq: optionalQueryInt(1, Number.MAX_SAFE_INTEGER).openapi({ description: 'Page: deliveries of events before this seq' }),
  status: z.enum(['pending', 'delivering', 'succeeded', 'failed']).optional(),
});

const Attempt = z.object({
  attemptedAt: z.string(),
  statusCode: z.number().int().nullable(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
});

export const WebhookDelivery = z
  .object({
    id: z.string(),
    endpointId: z.string(),
    eventId: z.string().openapi({ description: 'Also the webhook-id header: receivers deduplicate on it' }),
    eventSeq: z.number().int(),
    eventType: z.string().nullable(),
    status: z.enum(['pending', 'delivering', 'succeeded', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    attemptLog: z.array(Attempt),
  })
  .openapi('WebhookDelivery');

export const WebhookDeliveryList = z.object({ items: z.array(WebhookDelivery) }).openapi('WebhookDeliveryList');

export const TestEventResult = z.object({ eventId: z.string(), deliveryId: z.string() }).openapi('WebhookTestResult');
