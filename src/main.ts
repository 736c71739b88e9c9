import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { serve } from '@hono/node-server';
import Docker from 'dockerode';
import { DockerodeRuntime } from './adapters/docker/dockerode-runtime.js';
import { DockerSandboxExec } from './adapters/docker/sandbox-exec.js';
import { createLogger } from './adapters/logger.js';
import { createPromMetrics } from './adapters/metrics.js';
import { openDb } from './adapters/postgres/client.js';
import { runMigrations } from './adapters/postgres/migrate.js';
import { needsOwnVacuum, vacuumOnce } from './adapters/postgres/vacuum.js';
import { createApp } from './app.js';
import { composeDeps } from './compose.js';
import { loadConfig } from './config.js';
import { attachProxyUpgrade } from './http/proxy/upgrade.js';
import { answerClientErrors } from './http/client-error.js';
import { escalateInterruptsOnce } from './domain/execd/commands/escalate.js';
import { expireCommandsOnce } from './domain/execd/commands/expire.js';
import { pruneCommandsOnce } from './domain/execd/commands/prune.js';
import { reapOnce } from './domain/expiry/reap-once.js';
import { loadInstanceId } from './domain/instance.js';
import { every } from './domain/loop.js';
import { reconcileSandboxesOnce } from './domain/reconcile/reconcile-sandboxes.js';
import { reapSnapshotsOnce } from './domain/snapshots/reap-snapshots.js';
import { watchContainers } from './domain/sandbox/watch-containers.js';
import { reconcileMountsOnce } from './domain/volumes/ledger/reconcile-mounts.js';
import { fillPoolsOnce } from './domain/pools/fill-pools.js';
import { startWebhookLoops } from './domain/webhooks/loops.js';

// Composition root: config -> db -> migrate -> deps -> reconcile -> loops -> serve.
async function main() {
  const config = loadConfig(process.env, hostname());
  const log = createLogger(config.logLevel);
  if (!config.apiKey && !config.insecureNoAuth) {
    log.error({}, 'no API key: set BERTH_API_KEY (or OPENSANDBOX_SERVER_API_KEY), or BERTH_INSECURE_NO_AUTH=yes to run without authentication');
    process.exit(2);
  }
  if (!config.apiKey) log.warn({}, 'running WITHOUT authentication (BERTH_INSECURE_NO_AUTH)');

  const handle = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, prepare: config.dbPrepare, embedded: config.embeddedDb });
  await runMigrations(handle);
  const instanceId = await loadInstanceId(handle.db);

  const docker = new Docker({ socketPath: config.dockerSocket });
  const runtime = new DockerodeRuntime(docker, log);
  await runtime.ping().catch((err) => {
    log.error({ socket: config.dockerSocket, err: String(err) }, 'Docker engine is not reachable');
    process.exit(3);
  });

  const deps = composeDeps({
    db: handle.db,
    runtime,
    exec: new DockerSandboxExec(docker, config.dockerSocket),
    log,
    config,
    instanceId,
    processId: `${config.hostId}:${process.pid}:${pidNamespace()}-${randomBytes(4).toString('hex')}`,
    metrics: createPromMetrics(),
  });

  // Subscribe to Docker's events first, then converge before serving: nothing that happens between the
  // boot reconcile and the subscription can be missed, and the first answer already reflects the engine.
  const watcher = watchContainers(deps);
  // Sandboxes first (a container that is gone releases nothing yet), then the mount ledger against
  // Docker and the kernel's mount table.
  await reconcileSandboxesOnce(deps);
  await reconcileMountsOnce(deps);
  // Snapshot commits and image removals an earlier incarnation left half done (its pid is gone).
  await reapSnapshotsOnce(deps);
  const loops = [
    every('reaper', config.reaperIntervalMs, () => reapOnce(deps), log),
    every('execd-timeouts', config.reaperIntervalMs, () => expireCommandsOnce(deps), log),
    every('execd-interrupt-kills', config.reaperIntervalMs, () => escalateInterruptsOnce(deps), log),
    every('execd-retention', config.reconcileIntervalMs, () => pruneCommandsOnce(deps), log),
    every('snapshots', config.reaperIntervalMs, () => reapSnapshotsOnce(deps), log),
    every('reconcile', config.reconcileIntervalMs, () => reconcileSandboxesOnce(deps), log),
    every('mounts', config.reconcileIntervalMs, () => reconcileMountsOnce(deps), log),
    every('pools', config.poolIntervalMs, () => fillPoolsOnce(deps), log),
  ];
  if (await needsOwnVacuum(handle)) {
    log.info({ db: handle.kind, everyMs: config.vacuumIntervalMs }, 'no autovacuum on this database: berth vacuums its own tables');
    loops.push(every('vacuum', config.vacuumIntervalMs, () => vacuumOnce(handle), log));
  }
  const stopWebhooks = startWebhookLoops(deps);

  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    log.info({ port: info.port, host: config.host, db: handle.kind, instanceId, processId: deps.processId }, 'berth listening');
  });
  // WebSocket through the server proxy: node-server hands upgrades to no one, so the tunnel hooks the server.
  // Always attached: execd's PTY WebSocket is berth's own route, whatever BERTH_SERVER_PROXY says.
  attachProxyUpgrade(server as Server, deps);
  // What Node's parser refuses (431, malformed requests) never reaches the app: answer it in berth's shape.
  answerClientErrors(server as Server, log);

  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    watcher.stop();
    server.close();
    await Promise.all([...loops.map((l) => l.stop()), stopWebhooks()]);
    await handle.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** The inode of this process's pid namespace: a pid is only meaningful (and checkable) within it. */
function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  } catch {
    return '0';
  }
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', msg: 'berth failed to start', err: String(err?.stack ?? err) }));
  process.exit(1);
});
