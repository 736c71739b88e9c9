import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Deps } from '../../domain/deps.js';
import { getMount, listMounts } from '../../domain/volumes/ledger/list-mounts.js';
import { getMountRoute, listMountsRoute } from './mounts.openapi.js';

/** The mount ledger, read-only (paths relative to /v1). */
export function registerMountRoutes(app: OpenAPIHono, deps: Pick<Deps, 'db'>): void {
  app.openapi(listMountsRoute, async (c) => c.json({ items: await listMounts(deps, c.req.valid('query')) }, 200));
  app.openapi(getMountRoute, async (c) => c.json(await getMount(deps, c.req.valid('param').mountId), 200));
}
