import { z } from '@hono/zod-openapi';
import { PaginationInfo, repeatedStateQuery } from './sandboxes.schemas.js';
import { queryInt } from './query-int.js';

// Wire schemas of the snapshot routes (upstream's sandbox-lifecycle.yml, names kept). Like the sandbox
// schemas they are not strict: unknown fields are dropped rather than refused.

const Timestamp = z.iso.datetime().openapi({ description: 'RFC 3339, UTC', example: '2030-01-01T00:00:00.000Z' });

export const CreateSnapshotRequest = z
  .object({
    name: z.string().min(1).max(256).optional().openapi({ description: 'Optional human-readable snapshot name.', example: 'checkpoint-before-import' }),
  })
  .openapi('CreateSnapshotRequest', { description: 'Optional settings for creating a sandbox snapshot. The body may be omitted.' });

export const SnapshotState = z.string().openapi('SnapshotState', {
  description: 'Creating | Ready | Failed | Deleting (clients must tolerate new values).',
  example: 'Ready',
});

export const SnapshotStatus = z
  .object({
    state: SnapshotState,
    reason: z.string().optional().openapi({
      example: 'snapshot_ready',
      description: 'snapshot_accepted, snapshot_ready, snapshot_capture_failed, snapshot_interrupted, snapshot_deleting',
    }),
    message: z.string().optional(),
    lastTransitionAt: Timestamp.optional(),
  })
  .openapi('SnapshotStatus');

export const Snapshot = z
  .object({
    id: z.string().openapi({ description: 'Unique snapshot identifier', example: 'snap_019a0c0ffee0a1b2c3d4e5f6a7b8' }),
    sandboxId: z.string().openapi({ description: 'Source sandbox identifier used to create this snapshot' }),
    name: z.string().optional(),
    status: SnapshotStatus,
    createdAt: Timestamp,
  })
  .openapi('Snapshot', { description: 'A docker commit of a sandbox, restorable with POST /sandboxes {snapshotId}.' });

export const ListSnapshotsResponse = z.object({ items: z.array(Snapshot), pagination: PaginationInfo }).openapi('ListSnapshotsResponse');

export const SnapshotIdParams = z.object({
  snapshotId: z
    .string()
    .min(1)
    .openapi({ param: { name: 'snapshotId', in: 'path' }, description: 'Unique snapshot identifier' }),
});

export const ListSnapshotsQuery = z.object({
  sandboxId: z.string().optional().openapi({ description: 'Filter snapshots by source sandbox identifier' }),
  state: repeatedStateQuery('?state=Ready&state=Failed'),
  name: z.string().optional().openapi({ description: 'Exact snapshot name (SDK 0.1.11 sends it)' }),
  page: queryInt(1, 1, 2_147_483_647),
  pageSize: queryInt(20, 1, 200),
});
