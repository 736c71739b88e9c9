import type { Config } from '../config.js';
import type { Clock, ContainerRuntime, Db, Ids, Logger } from './ports.js';
import type { SandboxExec } from './execd/port.js';
import type { SessionStateBox } from './execd/session-state-port.js';
import type { DashboardSigner } from './dashboard/signer-port.js';
import type { ContainerLogs } from './sandbox/logs-port.js';
import type { Metrics } from './metrics.js';
import type { MountSecrets } from './volumes/mount-secrets-port.js';
import type { Mounter } from './volumes/mounter-port.js';
import type { SandboxVolumes } from './volumes/port.js';
import type { WebhookSecrets } from './webhooks/secrets-port.js';
import type { WebhookTransport } from './webhooks/transport.js';

/**
 * Everything a domain verb may touch, built once by composeDeps (src/compose.ts). Verbs take the narrowest Pick<Deps, ...>
 * they need so tests pass fakes for the rest.
 */
export type Deps = {
  db: Db;
  runtime: ContainerRuntime;
  /** exec, archive and stats on a sandbox's container: what berth serves execd with */
  exec: SandboxExec;
  /** a sandbox container's own output (the dashboard streams it) */
  containerLogs: ContainerLogs;
  clock: Clock;
  ids: Ids;
  log: Logger;
  config: Config;
  metrics: Metrics;
  volumes: SandboxVolumes;
  /** mounts ossfs buckets on the host (FUSE) */
  mounter: Mounter;
  /** seals mount credentials at rest, under a key derived from the server key */
  secrets: MountSecrets;
  /** how webhooks reach their receivers (HTTP sender, DNS resolver for the private-address check) */
  webhookTransport: WebhookTransport;
  /** seals webhook signing secrets at rest, under a key derived from the server key */
  webhookSecrets: WebhookSecrets;
  /** seals execd sessions' saved environments at rest, under another key derived from the server key */
  sessionState: SessionStateBox;
  /** signs dashboard session cookies and CSRF tokens, under keys derived from the server key */
  dashboardSigner: DashboardSigner;
  /** the deployment's identity (server_settings.instance_id); labels every container and volume */
  instanceId: string;
  /** this process, for leases: `${hostId}:${pid}:${random}` */
  processId: string;
  /**
   * Sandbox ids whose create or delete this process is working on right now. A row leased to this process
   * but not in here was abandoned (a database outage cut its create or delete off): the reaper finishes it
   * at once instead of waiting out the lease (src/domain/expiry/reap-once.ts).
   */
  inFlight: Set<string>;
};
