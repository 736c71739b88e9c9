import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Deps } from '../../domain/deps.js';
import { getMount, listMounts } from '../../domain/volumes/ledger/list-mounts.js';
import { errorResponses, requestIdHeader } from '../errors.js';
import { ListMountsQuery, Mount, MountIdParams, MountList } from './mounts.schemas.js';

// The mount ledger, read-only, for operators and dashboards. Paths are relative to /v1.
const tags = ['Mounts'];
const ok = <T>(description: string, schema: T) => ({ description, headers: requestIdHeader, content: { 'application/json': { schema } } });

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

export function registerMountRoutes(app: OpenAPIHono, deps: Pick<Deps, 'db'>): void {
  app.openapi(listMountsRoute, async (c) => c.json({ items: await listMounts(deps, c.req.valid('query')) }, 200));
  app.openapi(getMountRoute, async (c) => c.json(await getMount(deps, c.req.valid('param').mountId), 200));
}
