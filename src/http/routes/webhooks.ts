import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Deps } from '../../domain/deps.js';
import { listDeliveries, redeliver } from '../../domain/webhooks/deliveries.js';
import { createWebhook, deleteWebhook, getWebhook, listWebhooks, rotateWebhookSecret, updateWebhook } from '../../domain/webhooks/endpoints.js';
import { sendTestEvent } from '../../domain/webhooks/test-event.js';
import { actorOf } from '../context.js';
import { webhookRoutes } from './webhooks.openapi.js';

/** CORS (config.corsOrigins) and the API key are applied app-wide in app.ts, before these webhookRoutes. */
export function registerWebhookRoutes(app: OpenAPIHono, deps: Deps): void {
  app.openapi(webhookRoutes.create, async (c) => c.json(await createWebhook(deps, c.req.valid('json')), 201));
  app.openapi(webhookRoutes.list, async (c) => c.json({ items: await listWebhooks(deps) }, 200));
  app.openapi(webhookRoutes.get, async (c) => c.json(await getWebhook(deps, c.req.valid('param').id), 200));
  app.openapi(webhookRoutes.update, async (c) => c.json(await updateWebhook(deps, c.req.valid('param').id, c.req.valid('json')), 200));
  app.openapi(webhookRoutes.remove, async (c) => {
    await deleteWebhook(deps, c.req.valid('param').id);
    return c.body(null, 204);
  });
  app.openapi(webhookRoutes.rotate, async (c) => c.json(await rotateWebhookSecret(deps, c.req.valid('param').id, actorOf(c)), 200));
  app.openapi(webhookRoutes.test, async (c) => c.json(await sendTestEvent(deps, c.req.valid('param').id, actorOf(c)), 202));
  app.openapi(webhookRoutes.deliveries, async (c) => c.json({ items: await listDeliveries(deps, c.req.valid('param').id, c.req.valid('query')) }, 200));
  app.openapi(webhookRoutes.redeliver, async (c) => {
    const { id, deliveryId } = c.req.valid('param');
    return c.json(await redeliver(deps, id, deliveryId, actorOf(c)), 202);
  });
}
