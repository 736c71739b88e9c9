import { createDashboardSigner } from './adapters/crypto/dashboard-keys.js';
import { createDockerLogs } from './adapters/docker/container-logs.js';
import { createMountSecrets } from './adapters/crypto/mount-secrets.js';
import { loadServerKey } from './adapters/crypto/secret-box.js';
import { createSessionStateBox } from './adapters/crypto/session-state.js';
import { createWebhookSecrets } from './adapters/crypto/webhook-secrets.js';
import { createPromMetrics } from './adapters/metrics.js';
import { createFuseMounter } from './adapters/storage/fuse-mounter.js';
import { createNetworkTransport } from './adapters/webhooks/transport.js';
import type { Deps } from './domain/deps.js';
import { unavailableExec } from './domain/execd/unavailable.js';
import { realIds } from './domain/ids.js';
import { createSandboxVolumes } from './domain/volumes/sandbox-volumes.js';

/** What every caller must name; everything else has a production default it may override. */
export type DepsParts = Pick<Deps, 'db' | 'runtime' | 'config' | 'log' | 'instanceId' | 'processId'> &
  Partial<Omit<Deps, 'db' | 'runtime' | 'config' | 'log' | 'instanceId' | 'processId'>> & {
    /** the server key the secret helpers derive from; default loadServerKey(config) */
    serverKey?: Buffer;
  };

/**
 * The one place a Deps is assembled: main.ts, the test helpers and the benches all call it, so a new
 * member gets its default here once. Defaults are the real adapters: the ossfs mounter from config, the
 * network webhook transport, Prometheus metrics (no process metrics unless asked), secrets sealed under the
 * server key. `volumes` is built over the finished deps, so it sees every override (a fake mounter, a clock).
 */
export function composeDeps(parts: DepsParts): Deps {
  const { serverKey, ...given } = parts;
  const { config, log } = given;
  const key = () => serverKey ?? loadServerKey(config);
  const deps: Deps = {
    clock: { now: () => new Date() },
    ids: realIds,
    exec: unavailableExec,
    metrics: createPromMetrics({ processMetrics: false }),
    webhookTransport: createNetworkTransport({ allowPrivate: config.webhookAllowPrivate }),
    inFlight: new Set(),
    ...given,
    mounter:
      given.mounter ??
      createFuseMounter({ root: config.ossfsMountRoot, ossfsBin: config.ossfsBin, ossfs2Bin: config.ossfs2Bin, credentialDir: config.credentialsDir, log }),
    secrets: given.secrets ?? createMountSecrets(key()),
    webhookSecrets: given.webhookSecrets ?? createWebhookSecrets(key()),
    sessionState: given.sessionState ?? createSessionStateBox(key()),
    dashboardSigner: given.dashboardSigner ?? createDashboardSigner(key()),
    containerLogs: given.containerLogs ?? createDockerLogs(config.dockerSocket),
    volumes: undefined as unknown as Deps['volumes'],
  };
  deps.volumes = given.volumes ?? createSandboxVolumes(deps);
  return deps;
}
