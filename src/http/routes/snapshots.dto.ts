import type { z } from '@hono/zod-openapi';
import type { SnapshotRow } from '../../domain/records.js';
import type { ListSnapshotsResult } from '../../domain/snapshots/read-snapshots.js';
import type { ListSnapshotsResponse, Snapshot } from './snapshots.schemas.js';

// Rows -> wire shapes. The image tag, image id, host and lease are berth's business, never on the wire.

export function toSnapshot(row: SnapshotRow): z.input<typeof Snapshot> {
  return {
    id: row.id,
    sandboxId: row.sandboxId,
    ...(row.name !== null && { name: row.name }),
    status: {
      state: row.state,
      ...(row.reason !== null && { reason: row.reason }),
      ...(row.message !== null && { message: row.message }),
      lastTransitionAt: row.lastTransitionAt.toISOString(),
    },
    createdAt: row.createdAt.toISOString(),
  };
}

export function toSnapshotList(result: ListSnapshotsResult, q: { page: number; pageSize: number }): z.input<typeof ListSnapshotsResponse> {
  const totalPages = Math.ceil(result.totalItems / q.pageSize);
  return {
    items: result.items.map(toSnapshot),
    pagination: { page: q.page, pageSize: q.pageSize, totalItems: result.totalItems, totalPages, hasNextPage: q.page < totalPages },
  };
}

/** The spec's Location header: where to poll the snapshot (always the /v1 path, as the spec writes it). */
export const snapshotLocation = (id: string) => `/v1/snapshots/${encodeURIComponent(id)}`;
