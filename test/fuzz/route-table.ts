import { silentLogger } from '../../src/adapters/logger.js';
import { createApp } from '../../src/app.js';
import { composeDeps } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/domain/deps.js';
import { noopMetrics } from '../../src/domain/metrics.js';
import { noVolumes } from '../../src/domain/volumes/port.js';
import { FakeRuntime } from '../fakes/fake-runtime.js';
import { FixedClock } from '../fakes/fixed-clock.js';
import type { Route } from './requests.js';

/**
 * Every route the app registers, read from the app itself (a route added later is fuzzed without a
 * change here). Building the app touches no database; middleware (`use('*')`) is left out.
 */
export function appRoutes(): Route[] {
  const deps: Deps = composeDeps({
    db: {} as Deps['db'],
    runtime: new FakeRuntime(),
    clock: new FixedClock(),
    log: silentLogger,
    config: loadConfig({ BERTH_API_KEY: 'k' }),
    metrics: noopMetrics,
    volumes: noVolumes,
    serverKey: Buffer.alloc(32),
    instanceId: 'fuzz-routes',
    processId: 'fuzz-routes',
  });
  const seen = new Map<string, Route>();
  for (const r of createApp(deps).routes) {
    if (r.method === 'ALL' && /^[^:]*\*$/.test(r.path)) continue; // middleware
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}
