import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Deps } from '../../domain/deps.js';
import { createSnapshot } from '../../domain/snapshots/create-snapshot.js';
import { deleteSnapshot } from '../../domain/snapshots/delete-snapshot.js';
import { getSnapshot, listSnapshots } from '../../domain/snapshots/read-snapshots.js';
import { actorOf } from '../context.js';
import { snapshotLocation, toSnapshot, toSnapshotList } from './snapshots.dto.js';
import * as r from './snapshots.openapi.js';

/** Snapshot routes (paths relative to /v1). Each handler: parse, call one domain verb, map. */
export function registerSnapshotRoutes(app: OpenAPIHono, deps: Deps): void {
  app.openapi(r.createSnapshotRoute, async (c) => {
    // The capture goes on after the answer (the spec's 202 Creating); its outcome is written to the row.
    const { snapshot } = await createSnapshot(deps, c.req.valid('param').sandboxId, c.req.valid('json') ?? {}, actorOf(c));
    c.header('Location', snapshotLocation(snapshot.id));
    return c.json(toSnapshot(snapshot), 202);
  });

  app.openapi(r.listSnapshotsRoute, async (c) => {
    const q = c.req.valid('query');
    const result = await listSnapshots(deps, { sandboxId: q.sandboxId, states: q.state, name: q.name, page: q.page, pageSize: q.pageSize });
    return c.json(toSnapshotList(result, q), 200);
  });

  app.openapi(r.getSnapshotRoute, async (c) => {
    return c.json(toSnapshot(await getSnapshot(deps, c.req.valid('param').snapshotId)), 200);
  });

  app.openapi(r.deleteSnapshotRoute, async (c) => {
    await deleteSnapshot(deps, c.req.valid('param').snapshotId, actorOf(c));
    return c.body(null, 204);
  });
}
