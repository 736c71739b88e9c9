import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../errors.js';
import { empty, jsonBody, ok } from './openapi-parts.js';
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

// Webhook endpoint and delivery routes; their paths start with /v1 (berth's own API, served only there).

const URL_CODES = ['WEBHOOK::INVALID_URL', 'WEBHOOK::URL_NOT_ALLOWED', 'GENERAL::PAYLOAD_TOO_LARGE'] as const;
const tags = ['Webhooks'];

export const webhookRoutes = {
  create: createRoute({
    method: 'post',
    path: '/v1/webhooks',
    tags,
    operationId: 'createWebhook',
    request: { body: jsonBody(CreateWebhookBody) },
    responses: { 201: ok('Created; the secret is shown only here', WebhookEndpointWithSecret), ...errorResponses(...URL_CODES) },
  }),
  list: createRoute({
    method: 'get',
    path: '/v1/webhooks',
    tags,
    operationId: 'listWebhooks',
    responses: { 200: ok('All endpoints', WebhookEndpointList), ...errorResponses() },
  }),
  get: createRoute({
    method: 'get',
    path: '/v1/webhooks/{id}',
    tags,
    operationId: 'getWebhook',
    request: { params: WebhookIdParams },
    responses: { 200: ok('The endpoint', WebhookEndpoint), ...errorResponses('WEBHOOK::NOT_FOUND') },
  }),
  update: createRoute({
    method: 'patch',
    path: '/v1/webhooks/{id}',
    tags,
    operationId: 'updateWebhook',
    request: { params: WebhookIdParams, body: jsonBody(UpdateWebhookBody) },
    responses: { 200: ok('Updated; enabling clears the failure record', WebhookEndpoint), ...errorResponses('WEBHOOK::NOT_FOUND', ...URL_CODES) },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/v1/webhooks/{id}',
    tags,
    operationId: 'deleteWebhook',
    request: { params: WebhookIdParams },
    responses: { 204: empty('Deleted, with its deliveries'), ...errorResponses('WEBHOOK::NOT_FOUND') },
  }),
  rotate: createRoute({
    method: 'post',
    path: '/v1/webhooks/{id}/rotate-secret',
    tags,
    operationId: 'rotateWebhookSecret',
    request: { params: WebhookIdParams },
    responses: {
      200: ok('New secret, shown only here; the old one also signs for 24 h', WebhookEndpointWithSecret),
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
      202: ok('A webhook.test event was queued for this endpoint', TestEventResult),
      ...errorResponses('WEBHOOK::NOT_FOUND', 'WEBHOOK::ENDPOINT_DISABLED'),
    },
  }),
  deliveries: createRoute({
    method: 'get',
    path: '/v1/webhooks/{id}/deliveries',
    tags,
    operationId: 'listWebhookDeliveries',
    request: { params: WebhookIdParams, query: ListDeliveriesQuery },
    responses: { 200: ok('Deliveries, newest event first, with every attempt', WebhookDeliveryList), ...errorResponses('WEBHOOK::NOT_FOUND') },
  }),
  redeliver: createRoute({
    method: 'post',
    path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
    tags,
    operationId: 'redeliverWebhook',
    request: { params: DeliveryParams },
    responses: {
      202: ok('A new delivery of the same event', WebhookDelivery),
      ...errorResponses('WEBHOOK::NOT_FOUND', 'WEBHOOK::DELIVERY_NOT_FOUND', 'WEBHOOK::DELIVERY_IN_PROGRESS', 'WEBHOOK::ENDPOINT_DISABLED'),
    },
  }),
};
