import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../errors.js';

const Ready = z
  .object({
    status: z.literal('ready'),
    database: z.literal('ok'),
    engine: z.literal('ok'),
  })
  .openapi('Readiness', { description: 'Both dependencies answered within the check timeout.' });

export const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['Operations'],
  operationId: 'getReadiness',
  security: [], // no API key, like /health
  summary: 'Readiness probe',
  description:
    'No API key. 200 while the database and the Docker engine both answer (each checked with a 1.5 s timeout); ' +
    '503 {code, message} naming what is down while either does not. `/health` is the liveness probe and stays 200.',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: Ready } } },
    ...errorResponses('DATABASE::UNAVAILABLE', 'DOCKER::ENGINE_UNREACHABLE'),
  },
});
