import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../errors.js';
import { empty, jsonBody, ok } from './openapi-parts.js';
import {
  CreateSandboxRequest,
  CreateSandboxResponse,
  Endpoint,
  EndpointParams,
  EndpointQuery,
  ListSandboxesQuery,
  ListSandboxesResponse,
  MetricsEvent,
  PatchSandboxMetadataRequest,
  RenewSandboxExpirationRequest,
  RenewSandboxExpirationResponse,
  Sandbox,
  SandboxIdParams,
} from './sandboxes.schemas.js';

// Route definitions of the lifecycle API, paths relative to /v1 (the app also serves them at /).

const tags = ['Sandboxes'];

/** What a create's volumes can be refused or fail with (domain/volumes). */
const VOLUME_CODES = [
  'VOLUME::INVALID_NAME',
  'VOLUME::DUPLICATE_NAME',
  'VOLUME::INVALID_BACKEND',
  'VOLUME::UNSUPPORTED_BACKEND',
  'VOLUME::INVALID_MOUNT_PATH',
  'VOLUME::INVALID_SUB_PATH',
  'VOLUME::INVALID_HOST_PATH',
  'VOLUME::HOST_PATH_NOT_ALLOWED',
  'VOLUME::HOST_PATH_CREATE_FAILED',
  'VOLUME::INVALID_PVC_NAME',
  'VOLUME::PVC_NOT_FOUND',
  'VOLUME::PVC_SUBPATH_UNSUPPORTED_DRIVER',
  'VOLUME::PVC_INSPECT_FAILED',
  'VOLUME::INVALID_OSSFS_BUCKET',
  'VOLUME::INVALID_OSSFS_ENDPOINT',
  'VOLUME::INVALID_OSSFS_CREDENTIALS',
  'VOLUME::INVALID_OSSFS_OPTION',
  'VOLUME::INVALID_OSSFS_VERSION',
  'VOLUME::INVALID_OSSFS_MOUNT_ROOT',
  'VOLUME::OSSFS_MOUNT_FAILED',
] as const;

export const createSandboxRoute = createRoute({
  method: 'post',
  path: '/sandboxes',
  tags,
  operationId: 'createSandbox',
  summary: 'Create a sandbox',
  description:
    'Provisions synchronously: the answer (202, as upstream) already says Running, or the create failed and left nothing behind. ' +
    'extensions.poolRef (or, with BERTH_POOL_IMPLICIT_MATCH, a request equal to a pool template) is answered from a warm pool ' +
    'when it has an idle sandbox; an unknown pool is 404 POOL::NOT_FOUND.',
  request: { body: jsonBody(CreateSandboxRequest) },
  responses: {
    202: ok('Sandbox created and running', CreateSandboxResponse),
    ...errorResponses(
      'GENERAL::PAYLOAD_TOO_LARGE',
      'SANDBOX::INVALID_METADATA_LABEL',
      'SANDBOX::API_NOT_SUPPORTED',
      'POOL::NOT_FOUND',
      'DOCKER::INVALID_ENTRYPOINT',
      'SNAPSHOT::NOT_FOUND',
      'SNAPSHOT::NOT_READY',
      ...VOLUME_CODES,
      'DOCKER::IMAGE_NOT_FOUND',
      'DOCKER::IMAGE_PULL_UNAUTHORIZED',
      'DOCKER::SANDBOX_IMAGE_PULL_FAILED',
      'DOCKER::SANDBOX_START_FAILED',
      'DOCKER::INITIALIZATION_ERROR',
    ),
  },
});

export const listSandboxesRoute = createRoute({
  method: 'get',
  path: '/sandboxes',
  tags,
  operationId: 'listSandboxes',
  summary: 'List sandboxes',
  description: 'Newest first. Filters combine with AND; repeated state values with OR.',
  request: { query: ListSandboxesQuery },
  responses: { 200: ok('A page of sandboxes', ListSandboxesResponse), ...errorResponses('INVALID_METADATA_FORMAT', 'SANDBOX::INVALID_METADATA_LABEL') },
});

export const getSandboxRoute = createRoute({
  method: 'get',
  path: '/sandboxes/{sandboxId}',
  tags,
  operationId: 'getSandbox',
  summary: 'Fetch a sandbox by id',
  description: 'Deleted and expired sandboxes answer 404.',
  request: { params: SandboxIdParams },
  responses: { 200: ok('The sandbox', Sandbox), ...errorResponses('DOCKER::SANDBOX_NOT_FOUND') },
});

export const deleteSandboxRoute = createRoute({
  method: 'delete',
  path: '/sandboxes/{sandboxId}',
  tags,
  operationId: 'deleteSandbox',
  summary: 'Delete a sandbox',
  description: 'Removes the container and releases its volumes before answering; afterwards GET answers 404.',
  request: { params: SandboxIdParams },
  responses: { 204: empty('Sandbox deleted'), ...errorResponses('DOCKER::SANDBOX_NOT_FOUND', 'DOCKER::SANDBOX_DELETE_FAILED') },
});

export const patchMetadataRoute = createRoute({
  method: 'patch',
  path: '/sandboxes/{sandboxId}/metadata',
  tags,
  operationId: 'patchSandboxMetadata',
  summary: 'Patch sandbox metadata (JSON merge patch)',
  description: 'All-or-nothing: every label is validated before anything is written. Returns the full sandbox.',
  request: { params: SandboxIdParams, body: jsonBody(PatchSandboxMetadataRequest) },
  responses: {
    200: ok('The sandbox with its new metadata', Sandbox),
    ...errorResponses('INVALID_METADATA_LABEL', 'SANDBOX::INVALID_METADATA_LABEL', 'DOCKER::SANDBOX_NOT_FOUND'),
  },
});

export const pauseSandboxRoute = createRoute({
  method: 'post',
  path: '/sandboxes/{sandboxId}/pause',
  tags,
  operationId: 'pauseSandbox',
  summary: 'Pause a running sandbox',
  description: 'Empty body with Content-Length: 0. Pausing anything but a Running sandbox is a 409. The TTL keeps running.',
  request: { params: SandboxIdParams },
  responses: { 202: empty('Paused'), ...errorResponses('DOCKER::SANDBOX_NOT_FOUND', 'DOCKER::SANDBOX_NOT_RUNNING', 'DOCKER::SANDBOX_PAUSE_FAILED') },
});

export const resumeSandboxRoute = createRoute({
  method: 'post',
  path: '/sandboxes/{sandboxId}/resume',
  tags,
  operationId: 'resumeSandbox',
  summary: 'Resume a paused sandbox',
  description: 'Empty body with Content-Length: 0. Resuming anything but a Paused sandbox is a 409.',
  request: { params: SandboxIdParams },
  responses: { 202: empty('Running again'), ...errorResponses('DOCKER::SANDBOX_NOT_FOUND', 'DOCKER::SANDBOX_NOT_PAUSED', 'DOCKER::SANDBOX_RESUME_FAILED') },
});

export const renewExpirationRoute = createRoute({
  method: 'post',
  path: '/sandboxes/{sandboxId}/renew-expiration',
  tags,
  operationId: 'renewSandboxExpiration',
  summary: 'Set a new absolute expiry',
  description: 'Must be in the future (400); a sandbox without a TTL answers 409. Durable: stored before the answer.',
  request: { params: SandboxIdParams, body: jsonBody(RenewSandboxExpirationRequest) },
  responses: { 200: ok('The new expiry', RenewSandboxExpirationResponse), ...errorResponses('DOCKER::INVALID_EXPIRATION', 'DOCKER::SANDBOX_NOT_FOUND') },
});

export const getEndpointRoute = createRoute({
  method: 'get',
  path: '/sandboxes/{sandboxId}/endpoints/{port}',
  tags,
  operationId: 'getSandboxEndpoint',
  summary: 'Where to reach a port of the sandbox',
  description:
    'Any port 1..65535. 44772 (execd, served by this server, API key required) is always `{host}/sandboxes/{id}/proxy/44772`; ' +
    'a published port answers host:hostPort; any other goes through the server proxy (`{host}/sandboxes/{id}/proxy/<port>`), ' +
    'or is a 500 DOCKER::NETWORK_MODE_ENDPOINT_UNAVAILABLE when BERTH_SERVER_PROXY=false.',
  request: { params: EndpointParams, query: EndpointQuery },
  responses: {
    200: ok('The endpoint', Endpoint),
    ...errorResponses('DOCKER::INVALID_PORT', 'DOCKER::SANDBOX_NOT_FOUND', 'DOCKER::SANDBOX_NOT_RUNNING', 'DOCKER::NETWORK_MODE_ENDPOINT_UNAVAILABLE'),
  },
});

export const reportMetricsEventRoute = createRoute({
  method: 'post',
  path: '/metrics/events',
  tags: ['Telemetry'],
  operationId: 'reportMetricsEvent',
  summary: 'SDK telemetry',
  description: 'Sent by the OpenSandbox SDK after Sandbox.create(); logged and answered 204.',
  request: { body: jsonBody(MetricsEvent) },
  responses: { 204: empty('Recorded'), ...errorResponses() },
});
