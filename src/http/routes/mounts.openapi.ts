import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../errors.js';
import { ok } from './openapi-parts.js';
import { ListMountsQuery, Mount, MountIdParams, MountList } from './mounts.schemas.js';

// The mount ledger, read-only, for operators and dashboards. Paths are relative to /v1.
const tags = ['Mounts'];

export const listMountsRoute = createRoute({
  method: 'get',
  path: '/mounts',
  tags,
  operationId: 'listMounts',
  summary: 'List host mounts in the ledger',
  description: 'Newest first. Each shared mount with its identity (never its credentials), state, health, reference count and holders.',
  request: { query: ListMountsQuery },
  responses: { 200: ok('Mounts', MountList), ...errorResponses() },
});

export const getMountRoute = createRoute({
  method: 'get',
  path: '/mounts/{mountId}',
  tags,
  operationId: 'getMount',
  summary: 'Fetch one mount',
  request: { params: MountIdParams },
  responses: { 200: ok('The mount', Mount), ...errorResponses('MOUNT::NOT_FOUND') },
});
