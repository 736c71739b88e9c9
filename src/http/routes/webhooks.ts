import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Deps } from '../../domain/deps.js';
import { listDeliveries, redeliver } from '../../domain/webhooks/deliveries.js';
import { createWebhook, deleteWebhook, getWebhook, listWebhooks, rotateWebhookSecret, updateWebhook } from '../../domain/webhooks/endpoints.js';
import { sendTestEvent } from '../../domain/webhooks/test-event.js';
import { actorOf } from '../context.js';
import { errorResponses, requestIdHeader } from '../errors.js';
import {
  CreateWebhookBody,
  DeliveryParams,
  ListDeliveriesQuery,
  TestEventResult,
  UpdateWebhookBody,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
  WebhookIdParams,
} from './webhooks.schemas.js';

const json = <T>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const URL_CODES = ['WEBHOOK::INVALID_URL', 'WEBHOOK::URL_NOT_ALLOWED', 'GENERAL::PAYLOAD_TOO_LARGE'] as const;
const tags = ['Webhooks'];
const body = <T>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });

const routes = {
  create: createRoute({
    method: 'post',
    path: '/v1/webhooks',
    tags,
    operationId: 'createWebhook',
    request: body(CreateWebhookBody),
    responses: { 201: json(WebhookEndpointWithSecret, 'Created; the secret is shown only here'), ...errorResponses(...URL_CODES) },
  }),
  list: createRoute({
    method: 'get',
    path: '/v1/webhooks',
    tags,
    operationId: 'listWebhooks',
    responses: { 200: json(WebhookEndpointList, 'All endpoints'), ...errorResponses() },
  }),
  get: createRoute({
    method: 'get',
    path: '/v1/webhooks/{id}',
    tags,
    operationId: 'getWebhook',
    request: { params: WebhookIdParams },
    responses: { 200: json(WebhookEndpoint, 'The endpoint'), ...errorResponses('WEBHOOK::NOT_FOUND') },
  }),
  update: createRoute({
    method: 'patch',
    path: '/v1/webhooks/{id}',
    tags,
    operationId: 'updateWebhook',
    request: { params: WebhookIdParams, ...body(UpdateWebhookBody) },
    responses: { 200: json(WebhookEndpoint, 'Updated; enabling clears the failure record'), ...errorResponses('WEBHOOK::NOT_FOUND', ...URL_CODES) },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/v1/webhooks/{id}',
    tags,
    operationId: 'deleteWebhook',
    request: { params: WebhookIdParams },
    responses: { 204: { description: 'Deleted, with its deliveries', headers: requestIdHeader }, ...errorResponses('WEBHOOK::NOT_FOUND') },
  }),
  rotate: createRoute({
    method: 'post',
    path: '/v1/webhooks/{id}/rotate-secret',
    tags,
    operationId: 'rotateWebhookSecret',
    request: { params: WebhookIdParams },
    responses: {
      200: json(WebhookEndpointWithSecret, 'New secret, shown only here; the old one also signs for 24 h'),
      ...errorResponses('WEBHOOK::NOT_FOUND'),
    },
  }),
  test: createRoute({
    method: 'post',
    path: '/v1/webhooks/{id}/test',
    tags,
    operationId: 'sendWebhookTest',
    request: { params: WebhookIdParams },
    responses: {
      202: json(TestEventResult, 'A webhook.test event was queued for this endpoint'),
      ...errorResponses('WEBHOOK::NOT_FOUND', 'WEBHOOK::ENDPOINT_DISABLED'),
    },
  }),
  deliveries: createRoute({
    method: 'get',
    path: '/v1/webhooks/{id}/deliveries',
    tags,
    operationId: 'listWebhookDeliveries',
    request: { params: WebhookIdParams, query: ListDeliveriesQuery },
    responses: { 200: json(WebhookDeliveryList, 'Deliveries, newest event first, with every attempt'), ...errorResponses('WEBHOOK::NOT_FOUND') },
  }),
  redeliver: createRoute({
    method: 'post',
    path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
    tags,
    operationId: 'redeliverWebhook',
    request: { params: DeliveryParams },
    responses: {
      202: json(WebhookDelivery, 'A new delivery of the same event'),
      ...errorResponses('WEBHOOK::NOT_FOUND', 'WEBHOOK::DELIVERY_NOT_FOUND', 'WEBHOOK::DELIVERY_IN_PROGRESS', 'WEBHOOK::ENDPOINT_DISABLED'),
    },
  }),
};

/** CORS (config.corsOrigins) and the API key are applied app-wide in app.ts, before these routes. */
export function registerWebhookRoutes(app: OpenAPIHono, deps: Deps): void {
  app.openapi(routes.create, async (c) => c.json(await createWebhook(deps, c.req.valid('json')), 201));
  app.openapi(routes.list, async (c) => c.json({ items: await listWebhooks(deps) }, 200));
  app.openapi(routes.get, async (c) => c.json(await getWebhook(deps, c.req.valid('param').id), 200));
  app.openapi(routes.update, async (c) => c.json(await updateWebhook(deps, c.req.valid('param').id, c.req.valid('json')), 200));
  app.openapi(routes.remove, async (c) => {
    await deleteWebhook(deps, c.req.valid('param').id);
    return c.body(null, 204);
  });
  app.openapi(routes.rotate, async (c) => c.json(await rotateWebhookSecret(deps, c.req.valid('param').id), 200));
  app.openapi(routes.test, async (c) => c.json(await sendTestEvent(deps, c.req.valid('param').id, actorOf(c)), 202));
  app.openapi(routes.deliveries, async (c) => c.json({ items: await listDeliveries(deps, c.req.valid('param').id, c.req.valid('query')) }, 200));
  app.openapi(routes.redeliver, async (c) => {
    const { id, deliveryId } = c.req.valid('param');
    return c.json(await redeliver(deps, id, deliveryId), 202);
  });
}
