import { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { swaggerUI } from '@hono/swagger-ui';
import { bodyLimit } from 'hono/body-limit';
import { except } from 'hono/combine';
import { cors } from 'hono/cors';
import type { Deps } from './domain/deps.js';
import './http/context.js';
import { errorJson, handleError, handleNotFound, INVALID_REQUEST_CODE, validationHook } from './http/errors.js';
import { accessLog } from './http/middleware/access-log.js';
import { apiKeyAuth, API_KEY_HEADER } from './http/middleware/auth.js';
import { REQUEST_ID_HEADER, requestId } from './http/middleware/request-id.js';
import { refuseUnstorableText } from './http/middleware/text-guard.js';
import { cancelHeadBody } from './http/middleware/head-body.js';
import { settleUnreadBody } from './http/middleware/unread-body.js';
import { isProxyPath } from './http/proxy/proxy-path.js';
import { registerOperationRoutes, registerTelemetryRoutes } from './http/routes/operations.js';
import { registerProxyRoutes } from './http/routes/proxy.js';
import { registerExecdRoutes } from './http/routes/execd/index.js';
import { registerDashboard } from './http/dashboard/index.js';
import { isDashboardUploadPath } from './http/dashboard/paths.js';
import { registerEventRoutes } from './http/routes/events.js';
import { registerMountRoutes } from './http/routes/mounts.js';
import { registerPoolRoutes } from './http/routes/pools.js';
import { registerSandboxRoutes } from './http/routes/sandboxes.js';
import { registerSnapshotRoutes } from './http/routes/snapshots.js';
import { registerWebhookRoutes } from './http/routes/webhooks.js';

/** Lifecycle request bodies are small JSON documents; anything bigger is refused before it is buffered. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The HTTP application. No per-request state lives outside the context and Postgres (see wrangler-free.md):
 * everything a handler needs comes in through `deps`, built once by composeDeps.
 *
 * Middleware order matters: the request id is outermost (so even a 401 or a 500 carries it), then the access
 * log (so it sees the final status), then CORS (a preflight carries no API key), then auth.
 */
export function createApp(deps: Deps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  // settleUnreadBody wraps everything: it reads the final answer's unread request body or marks it Connection: close.
  app.use('*', settleUnreadBody(), cancelHeadBody(), requestId(), accessLog(deps.log), cors(corsOptions(deps.config.corsOrigins)), apiKeyAuth(deps.config));
  // The server proxy streams bodies of any size to the sandbox (file uploads to execd): no limit there. The
  // dashboard's upload is execd's upload verb, which spools to disk under BERTH_EXECD_MAX_UPLOAD_BYTES.
  app.use(
    '*',
    except(
      (c) => isProxyPath(c.req.path) || isDashboardUploadPath(c.req.path),
      bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => errorJson(c, 413, 'GENERAL::PAYLOAD_TOO_LARGE', `Request body exceeds ${MAX_BODY_BYTES} bytes.`) }),
    ),
  );
  // After the body limit, so an oversized body is a 413 before it is read. Proxy paths are skipped: execd
  // checks its own (routes/execd, after its own limit, with its own code), the server proxy's bodies are
  // opaque, and its sandbox id is checked by parseProxyRequest (the WebSocket upgrade uses it too).
  app.use(
    '*',
    except((c) => isProxyPath(c.req.path), refuseUnstorableText(INVALID_REQUEST_CODE, { body: true })),
  );
  app.onError(handleError(deps.log));
  app.notFound(handleNotFound);

  registerOperationRoutes(app, deps);
  app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'berth API' }));

  // Route groups whose paths are relative to /v1 go on `api`; it is served under /v1 (what the SDK calls)
  // and at the root, as upstream serves every route twice. Hono copies a sub-app's routes when it is
  // mounted, so register on `api` BEFORE the two mounts below.
  const api = new OpenAPIHono({ defaultHook: validationHook });
  registerSandboxRoutes(api, deps);
  registerSnapshotRoutes(api, deps);
  registerTelemetryRoutes(api, deps);
  // Groups with paths relative to /v1 (served at /v1 and /):
  registerMountRoutes(api, deps);
  registerPoolRoutes(api, deps);
  app.route('/v1', api); // served and documented under /v1
  Hono.prototype.route.call(app, '/', api); // served at / too, but the plain mount keeps the document from listing it twice

  // execd on port 44772, served by berth itself; then the server proxy for every other port. Plain routes at
  // / and /v1, outside the OpenAPI document (see routes/execd and routes/proxy.ts).
  registerExecdRoutes(app, deps);
  registerProxyRoutes(app, deps);

  // Groups whose paths already start with /v1 (berth's own APIs, served only there):
  registerWebhookRoutes(app, deps);
  registerEventRoutes(app, deps);
  // The operator dashboard (/dashboard): HTML pages outside the OpenAPI document, behind its own session cookie.
  registerDashboard(app, deps);

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKeyAuth', { type: 'apiKey', in: 'header', name: API_KEY_HEADER });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'berth: OpenSandbox Lifecycle API',
      version: '0.1.0',
      description:
        'An OpenSandbox-compatible lifecycle server on Docker with its state in Postgres. ' +
        'The lifecycle routes are also served without the /v1 prefix, as upstream does.',
    },
    security: [{ apiKeyAuth: [] }],
  });
  return app;
}

/** Allow-all like upstream unless BERTH_CORS_ORIGINS lists origins. The key is a header, never a cookie: no credentials. */
function corsOptions(origins: string[]) {
  return {
    origin: origins.length === 0 || origins.includes('*') ? '*' : origins,
    exposeHeaders: [REQUEST_ID_HEADER],
    maxAge: 600,
  };
}
