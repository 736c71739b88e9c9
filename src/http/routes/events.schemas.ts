import { z } from '@hono/zod-openapi';
import { optionalQueryInt } from './query-int.js';
import { EVENT_TYPES, type EventType } from '../../domain/events/types.js';

export const EVENTS_PATH = '/v1/events';

/** The query parameter that may carry the API key on the event stream (EventSource cannot set headers). */
export const EVENT_STREAM_API_KEY_PARAM = 'api_key';

const known = new Set<string>(EVENT_TYPES);

export const EventStreamQuery = z.object({
  after: optionalQueryInt(0, Number.MAX_SAFE_INTEGER).openapi({ description: 'Start after this seq (Last-Event-ID wins when both are sent)' }),
  types: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every((t) => known.has(t)), { message: `types must be a comma list of: ${EVENT_TYPES.join(', ')}` })
    .transform((list) => list as EventType[])
    .openapi({ description: 'Comma-separated event types', example: 'sandbox.created,sandbox.deleted' }),
  sandboxId: z.string().min(1).optional(),
  [EVENT_STREAM_API_KEY_PARAM]: z.string().optional().openapi({ description: 'API key, for EventSource clients' }),
});

export const EventStreamHeaders = z.object({
  'last-event-id': z.string().optional().openapi({ description: 'Resume after this seq (sent by EventSource on reconnect)' }),
});

export const EventDtoSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    type: z.string(),
    time: z.string(),
    sandboxId: z.string().nullable(),
    mountId: z.string().nullable(),
    fromState: z.string().nullable(),
    toState: z.string().nullable(),
    reason: z.string().nullable(),
    actor: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('Event');
