import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Deps } from '../../domain/deps.js';
import { createPool, getPool, listPools, updatePool } from '../../domain/pools/crud.js';
import { deletePool } from '../../domain/pools/delete-pool.js';
import { actorOf } from '../context.js';
import { toPool } from './pools.dto.js';
import * as r from './pools.openapi.js';

/** Warm-pool routes (paths relative to /v1). Each handler: parse, call one domain verb, map. */
export function registerPoolRoutes(app: OpenAPIHono, deps: Deps): void {
  app.openapi(r.createPoolRoute, async (c) => {
    const { name, ...settings } = c.req.valid('json');
    return c.json(toPool(await createPool(deps, name, settings, actorOf(c))), 201);
  });

  app.openapi(r.listPoolsRoute, async (c) => c.json({ items: (await listPools(deps)).map(toPool) }, 200));

  app.openapi(r.getPoolRoute, async (c) => c.json(toPool(await getPool(deps, c.req.valid('param').poolName)), 200));

  app.openapi(r.updatePoolRoute, async (c) => {
    return c.json(toPool(await updatePool(deps, c.req.valid('param').poolName, c.req.valid('json'), actorOf(c))), 200);
  });

  app.openapi(r.deletePoolRoute, async (c) => {
    await deletePool(deps, c.req.valid('param').poolName, actorOf(c));
    c.header('Content-Length', '0');
    return c.body(null, 204);
  });
}
