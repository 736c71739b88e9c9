import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../errors.js';
import { empty, jsonBody, ok } from './openapi-parts.js';
import { CreatePoolRequest, ListPoolsResponse, Pool, PoolNameParams, UpdatePoolRequest } from './pools.schemas.js';

// Warm-pool routes, paths relative to /v1 (served at / too, like the lifecycle routes).

const tags = ['Pools'];

export const createPoolRoute = createRoute({
  method: 'post',
  path: '/pools',
  tags,
  operationId: 'createPool',
  summary: 'Create a warm pool',
  description:
    'Keeps idleTarget started sandboxes of the template ready on each host. POST /sandboxes with extensions.poolRef=<name> (or, with ' +
    'BERTH_POOL_IMPLICIT_MATCH, a request equal to the template) is answered from one of them; without an idle one it is a cold create.',
  request: { body: jsonBody(CreatePoolRequest) },
  responses: { 201: ok('The new pool', Pool), ...errorResponses('SANDBOX::INVALID_PARAMETER', 'DOCKER::INVALID_ENTRYPOINT', 'POOL::ALREADY_EXISTS') },
});

export const listPoolsRoute = createRoute({
  method: 'get',
  path: '/pools',
  tags,
  operationId: 'listPools',
  summary: 'List warm pools',
  responses: { 200: ok('Every pool, by name', ListPoolsResponse), ...errorResponses() },
});

export const getPoolRoute = createRoute({
  method: 'get',
  path: '/pools/{poolName}',
  tags,
  operationId: 'getPool',
  summary: 'Fetch a warm pool',
  request: { params: PoolNameParams },
  responses: { 200: ok('The pool', Pool), ...errorResponses('POOL::NOT_FOUND') },
});

export const updatePoolRoute = createRoute({
  method: 'put',
  path: '/pools/{poolName}',
  tags,
  operationId: 'updatePool',
  summary: 'Replace a warm pool’s settings',
  request: { params: PoolNameParams, body: jsonBody(UpdatePoolRequest) },
  responses: { 200: ok('The pool', Pool), ...errorResponses('SANDBOX::INVALID_PARAMETER', 'DOCKER::INVALID_ENTRYPOINT', 'POOL::NOT_FOUND') },
});

export const deletePoolRoute = createRoute({
  method: 'delete',
  path: '/pools/{poolName}',
  tags,
  operationId: 'deletePool',
  summary: 'Delete a warm pool',
  description: 'Removes its idle sandboxes; sandboxes already claimed from it are left alone.',
  request: { params: PoolNameParams },
  responses: { 204: empty('Pool deleted'), ...errorResponses('POOL::NOT_FOUND') },
});
