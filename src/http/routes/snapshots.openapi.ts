import { createRoute } from '@hono/zod-openapi';
import { errorResponses, requestIdHeader } from '../errors.js';
import { empty, jsonContent, ok, optionalJsonBody } from './openapi-parts.js';
import { SandboxIdParams } from './sandboxes.schemas.js';
import { CreateSnapshotRequest, ListSnapshotsQuery, ListSnapshotsResponse, Snapshot, SnapshotIdParams } from './snapshots.schemas.js';

// Snapshot routes, paths relative to /v1 (served at / too, like the other lifecycle routes).

const tags = ['Snapshots'];

export const createSnapshotRoute = createRoute({
  method: 'post',
  path: '/sandboxes/{sandboxId}/snapshots',
  tags,
  operationId: 'createSnapshot',
  summary: 'Create a snapshot from a sandbox',
  description:
    'docker commit of the sandbox container (paused for the copy, then running again). The source must be Running or Paused ' +
    '(409 SNAPSHOT::INVALID_SOURCE_STATE). Answers 202 with state Creating at once; poll GET /snapshots/{snapshotId} until Ready or Failed.',
  // Optional body: the SDK sends {} and curl users may send nothing.
  request: { params: SandboxIdParams, body: optionalJsonBody(CreateSnapshotRequest) },
  responses: {
    202: {
      description: 'Snapshot creation accepted (state Creating)',
      headers: {
        ...requestIdHeader,
        Location: { description: 'Where to poll the snapshot: /v1/snapshots/{id}', schema: { type: 'string' as const, format: 'uri' } },
      },
      content: jsonContent(Snapshot),
    },
    ...errorResponses('DOCKER::SANDBOX_NOT_FOUND', 'SNAPSHOT::INVALID_SOURCE_STATE'),
  },
});

export const listSnapshotsRoute = createRoute({
  method: 'get',
  path: '/snapshots',
  tags,
  operationId: 'listSnapshots',
  summary: 'List snapshots',
  description: 'Newest first. Filters combine with AND; repeated state values with OR. Snapshots outlive their source sandbox.',
  request: { query: ListSnapshotsQuery },
  responses: { 200: ok('A page of snapshots', ListSnapshotsResponse), ...errorResponses() },
});

export const getSnapshotRoute = createRoute({
  method: 'get',
  path: '/snapshots/{snapshotId}',
  tags,
  operationId: 'getSnapshot',
  summary: 'Fetch a snapshot by id',
  request: { params: SnapshotIdParams },
  responses: { 200: ok('The snapshot', Snapshot), ...errorResponses('SNAPSHOT::NOT_FOUND') },
});

export const deleteSnapshotRoute = createRoute({
  method: 'delete',
  path: '/snapshots/{snapshotId}',
  tags,
  operationId: 'deleteSnapshot',
  summary: 'Delete a snapshot',
  description:
    'Removes the image berth committed. 409 SNAPSHOT::INVALID_STATE while it is Creating; ' +
    '409 SNAPSHOT::DELETE_CONFLICT while a sandbox restored from it exists.',
  request: { params: SnapshotIdParams },
  responses: {
    204: empty('Snapshot deleted'),
    ...errorResponses('SNAPSHOT::NOT_FOUND', 'SNAPSHOT::INVALID_STATE', 'SNAPSHOT::DELETE_CONFLICT', 'DOCKER::SNAPSHOT_IMAGE_REMOVE_FAILED'),
  },
});
