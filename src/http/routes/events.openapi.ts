import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../errors.js';
import { EVENTS_PATH, EventDtoSchema, EventStreamHeaders, EventStreamQuery } from './events.schemas.js';

export const streamEventsRoute = createRoute({
  method: 'get',
  path: EVENTS_PATH,
  tags: ['Events'],
  operationId: 'streamEvents',
  description:
    'Server-Sent Events from the event log. Each message has `id: <seq>`, `event: <type>` and the event as JSON. ' +
    'Reconnect with Last-Event-ID (EventSource does this itself) to receive exactly the missed events. ' +
    'Heartbeats are comment lines. The API key may be given as ?api_key= for EventSource.',
  request: { query: EventStreamQuery, headers: EventStreamHeaders },
  responses: {
    200: { content: { 'text/event-stream': { schema: EventDtoSchema } }, description: 'The event stream' },
    ...errorResponses('EVENTS::INVALID_LAST_EVENT_ID'),
  },
});
