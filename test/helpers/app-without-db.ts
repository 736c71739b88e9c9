import type { OpenAPIHono } from '@hono/zod-openapi';
import { silentLogger } from '../../src/adapters/logger.js';
import { createApp } from '../../src/app.js';
import { composeDeps } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/domain/deps.js';
import { noopMetrics } from '../../src/domain/metrics.js';
import { noVolumes } from '../../src/domain/volumes/port.js';
import { FakeRuntime } from '../fakes/fake-runtime.js';
import { FixedClock } from '../fakes/fixed-clock.js';

/**
 * The whole app over no database, for what building it and its OpenAPI document touch (its route table,
 * /openapi.json): a request that reaches the database fails. `name` is its instance and process id.
 */
export function appWithoutDb(name: string): OpenAPIHono {
  const deps: Deps = composeDeps({
    db: {} as Deps['db'],
    runtime: new FakeRuntime(),
    clock: new FixedClock(),
    log: silentLogger,
    config: loadConfig({ BERTH_API_KEY: 'k' }),
    metrics: noopMetrics,
    volumes: noVolumes,
    serverKey: Buffer.alloc(32), // seals nothing
    instanceId: name,
    processId: name,
  });
  return createApp(deps);
}
