import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Deps } from '../../domain/deps.js';
import { checkReadiness } from '../../domain/readiness.js';
import { countSandboxesByState } from '../../domain/sandbox/count-by-state.js';
import { readyRoute } from './operations.openapi.js';
import { reportMetricsEventRoute } from './sandboxes.openapi.js';

/**
 * Root-only operator routes: /health (no auth, no database: liveness only), /ready (no auth: the database and
 * the engine answer, else 503) and /metrics (Prometheus).
 */
export function registerOperationRoutes(app: OpenAPIHono, deps: Pick<Deps, 'db' | 'metrics' | 'runtime'>): void {
  app.get('/health', (c) => c.json({ status: 'healthy' }, 200));
  app.openapi(readyRoute, async (c) => c.json(await checkReadiness(deps), 200));
  app.get('/metrics', async (c) => {
    const text = await deps.metrics.render(() => countSandboxesByState(deps));
    return c.body(text, 200, { 'Content-Type': deps.metrics.contentType });
  });
}

/**
 * POST /metrics/events (under /v1 too): the SDK reports its own create latency here after Sandbox.create().
 * Upstream only logs it; so do we. The SDK ignores the answer, but it must be a 2xx.
 */
export function registerTelemetryRoutes(app: OpenAPIHono, deps: Pick<Deps, 'log'>): void {
  app.openapi(reportMetricsEventRoute, (c) => {
    const e = c.req.valid('json');
    deps.log.info(
      {
        requestId: c.get('requestId'),
        userAgent: c.req.header('user-agent') ?? null,
        eventType: e.eventType,
        sandboxId: e.sandboxId ?? null,
        image: e.image ?? null,
        durationMs: e.createDurationMs ?? e.durationMs ?? null,
        success: e.success ?? null,
      },
      'sdk telemetry event',
    );
    return c.body(null, 204);
  });
}
