import { z } from 'zod';

// The only module that reads process.env. Parsed once in main.ts and passed down as deps.config,
// so tests build a Config directly instead of mutating the environment.
const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const bool = (dflt: boolean) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? dflt : /^(1|true|yes|on)$/i.test(v)));

const envSchema = z.object({
  BERTH_HOST: z.string().default('127.0.0.1'),
  BERTH_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** The key clients send as OPEN-SANDBOX-API-KEY (OPENSANDBOX_SERVER_API_KEY is upstream's name). */
  BERTH_API_KEY: z.string().optional(),
  OPENSANDBOX_SERVER_API_KEY: z.string().optional(),
  /** Running without a key must be asked for explicitly (upstream: OPENSANDBOX_INSECURE_SERVER=YES). */
  BERTH_INSECURE_NO_AUTH: bool(false),
  OPENSANDBOX_INSECURE_SERVER: bool(false),
  DATABASE_URL: z.string().optional(),
  /** Prepared statements on the Postgres connection; off behind a pooler that cannot carry them. */
  BERTH_DB_PREPARE: bool(true),
  /** The embedded database (no DATABASE_URL): unset = Postgres, unless the data folder already holds a PGlite one. */
  BERTH_EMBEDDED_DB: z.enum(['postgres', 'pglite']).optional(),
  BERTH_DATA_DIR: z.string().default('.berth-data'),
  DOCKER_SOCKET: z.string().default('/var/run/docker.sock'),
  BERTH_HOST_ID: z.string().optional(),
  BERTH_NETWORK_MODE: z.string().default('bridge'),
  /**
   * Container ports published on a random host port for every sandbox. Upstream publishes execd's 44772 too;
   * berth serves execd itself, so only 8080 by default (any other port is reached through the server proxy).
   */
  BERTH_PUBLISHED_PORTS: csv.pipe(z.array(z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(65535)))),
  /** Host interface the published ports bind to; loopback unless the operator opens it up. */
  BERTH_PUBLISH_HOST_IP: z.string().default('127.0.0.1'),
  /** Host name or IP written into endpoint answers. */
  BERTH_PUBLIC_HOST: z.string().optional(),
  /**
   * Where clients reach this server (e.g. https://berth.example.com), for use_server_proxy answers;
   * unset = the request's own Host. Only the scheme is dropped: a path prefix (behind a gateway) is kept.
   */
  BERTH_PUBLIC_URL: z
    .string()
    .regex(/^([a-z][a-z0-9+.-]*:\/\/)?[^\s/]+(\/\S*)?$/i, 'must be a URL like https://host[:port][/path]')
    .optional(),
  /** The unauthenticated reverse proxy to sandbox ports at /sandboxes/{id}/proxy/{port} (upstream's server proxy). */
  BERTH_SERVER_PROXY: bool(true),
  /**
   * The host name (with its port, if clients write one) the dashboard is served on, e.g. dashboard.example.com.
   * When set, /dashboard answers only there and sandbox services are never proxied there, so no page a sandbox
   * serves shares the dashboard's origin. Unset: the dashboard answers on any host (one origin with the proxy).
   */
  BERTH_DASHBOARD_HOST: z
    .string()
    .regex(/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i, 'must be a host name, optionally with :port')
    .transform((h) => h.toLowerCase())
    .optional(),
  BERTH_MAX_TIMEOUT_SECONDS: z.coerce.number().int().min(60).optional(),
  BERTH_PIDS_LIMIT: z.coerce.number().int().min(1).default(4096),
  BERTH_DROP_CAPABILITIES: csv.optional(),
  BERTH_NO_NEW_PRIVILEGES: bool(true),
  BERTH_ALLOWED_HOST_PATHS: csv,
  BERTH_OSSFS_MOUNT_ROOT: z.string().default('/mnt/berth-ossfs'),
  BERTH_OSSFS_BIN: z.string().default('ossfs'),
  BERTH_OSSFS2_BIN: z.string().default('ossfs2'),
  /** berth's own 0700 folder for ossfs credentials files while a mount command runs; default <data dir>/run/credentials */
  BERTH_CREDENTIALS_DIR: z.string().optional(),
  /** 32-byte key (hex or base64) for secrets at rest; generated into the data dir when unset. */
  BERTH_SECRET_KEY: z.string().optional(),
  BERTH_REAPER_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  BERTH_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** How often berth vacuums its churned tables where no autovacuum runs (PGlite; autovacuum = off). */
  BERTH_VACUUM_INTERVAL_MS: z.coerce.number().int().min(1000).default(600_000),
  BERTH_LOG_LEVEL: z.string().default('info'),
  /** Warm pools: answer a create without poolRef from a pool whose template it equals (see src/domain/pools). */
  BERTH_POOL_IMPLICIT_MATCH: bool(true),
  /** How often the filler tops warm pools up and replaces stale, dead or paused idle sandboxes. */
  BERTH_POOL_INTERVAL_MS: z.coerce.number().int().min(100).default(2000),
  /** execd: the largest JSON request body (commands, file operations) */
  BERTH_EXECD_MAX_JSON_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** execd: the largest file one upload may carry (spooled to a temporary file, never held in memory) */
  BERTH_EXECD_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 ** 3),
  /**
   * execd: how far a file download may run ahead of a client that lags, in memory, before the rest goes to a
   * 0600 spill file (the engine's archive is never paced by the client: it holds the container's lock)
   */
  BERTH_EXECD_DOWNLOAD_MEMORY_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(16 * 1024 * 1024),
  /** execd: the most bytes one background-log read (GET /command/{id}/logs) answers; the cursor continues */
  BERTH_EXECD_MAX_LOG_CHUNK_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(8 * 1024 * 1024),
  /**
   * execd: the most output a background command's log keeps, enforced inside the sandbox (a `cat` under `ulimit -f`
   * reading the command's output from a FIFO); beyond it the output is read and dropped, so the command never blocks.
   */
  BERTH_EXECD_MAX_BACKGROUND_LOG_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  /** execd: how long a finished command's record (and a background command's log file) is kept */
  BERTH_EXECD_COMMAND_RETENTION_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(24 * 3600),
  /** execd: the most entries a directory list or a file search walks (its answer is 413 beyond it) */
  BERTH_EXECD_MAX_WALK_ENTRIES: z.coerce.number().int().min(100).default(100_000),
  /** execd: without find in the image (or paused), the most bytes a list or search lets the engine's subtree tar stream */
  BERTH_EXECD_MAX_WALK_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024 * 1024),
  /** execd: the largest file /files/replace rewrites in memory */
  BERTH_EXECD_MAX_REPLACE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  BERTH_WEBHOOK_ALLOW_PRIVATE: bool(false),
  BERTH_CORS_ORIGINS: csv,
  BERTH_EVENT_RETENTION_HOURS: z.coerce
    .number()
    .min(1)
    .default(24 * 7),
});

export type Config = {
  host: string;
  port: number;
  apiKey: string | undefined;
  insecureNoAuth: boolean;
  databaseUrl: string | undefined;
  dbPrepare: boolean;
  embeddedDb?: 'postgres' | 'pglite';
  dataDir: string;
  dockerSocket: string;
  hostId: string;
  networkMode: string;
  publishedPorts: number[];
  publishHostIp: string;
  publicHost: string;
  publicUrl: string | undefined;
  serverProxy: boolean;
  dashboardHost: string | undefined;
  maxTimeoutSeconds: number | undefined;
  pidsLimit: number;
  dropCapabilities: string[];
  noNewPrivileges: boolean;
  allowedHostPaths: string[];
  ossfsMountRoot: string;
  ossfsBin: string;
  ossfs2Bin: string;
  credentialsDir: string;
  secretKey: string | undefined;
  reaperIntervalMs: number;
  reconcileIntervalMs: number;
  vacuumIntervalMs: number;
  logLevel: string;
  poolImplicitMatch: boolean;
  poolIntervalMs: number;
  execdMaxJsonBytes: number;
  execdMaxUploadBytes: number;
  execdMaxLogChunkBytes: number;
  execdDownloadMemoryBytes: number;
  execdMaxReplaceBytes: number;
  execdMaxBackgroundLogBytes: number;
  execdCommandRetentionSeconds: number;
  execdMaxWalkEntries: number;
  execdMaxWalkBytes: number;
  webhookAllowPrivate: boolean;
  corsOrigins: string[];
  eventRetentionHours: number;
};

/** Upstream's default cap_drop list (DESIGN.md upstream §9.5). */
export const DEFAULT_DROP_CAPABILITIES = [
  'AUDIT_WRITE',
  'MKNOD',
  'NET_ADMIN',
  'NET_RAW',
  'SYS_ADMIN',
  'SYS_MODULE',
  'SYS_PTRACE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
];

export function loadConfig(env: Record<string, string | undefined>, hostname = 'localhost'): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const wildcard = e.BERTH_HOST === '0.0.0.0' || e.BERTH_HOST === '::' || e.BERTH_HOST === '';
  return Object.freeze({
    host: e.BERTH_HOST,
    port: e.BERTH_PORT,
    apiKey: e.BERTH_API_KEY || e.OPENSANDBOX_SERVER_API_KEY || undefined,
    insecureNoAuth: e.BERTH_INSECURE_NO_AUTH || e.OPENSANDBOX_INSECURE_SERVER,
    databaseUrl: e.DATABASE_URL || undefined,
    dbPrepare: e.BERTH_DB_PREPARE,
    embeddedDb: e.BERTH_EMBEDDED_DB,
    dataDir: e.BERTH_DATA_DIR,
    dockerSocket: e.DOCKER_SOCKET,
    hostId: e.BERTH_HOST_ID ?? hostname,
    networkMode: e.BERTH_NETWORK_MODE,
    publishedPorts: e.BERTH_PUBLISHED_PORTS && e.BERTH_PUBLISHED_PORTS.length > 0 ? e.BERTH_PUBLISHED_PORTS : [8080],
    publishHostIp: e.BERTH_PUBLISH_HOST_IP,
    publicHost: e.BERTH_PUBLIC_HOST ?? (wildcard ? '127.0.0.1' : e.BERTH_HOST),
    publicUrl: e.BERTH_PUBLIC_URL || undefined,
    serverProxy: e.BERTH_SERVER_PROXY,
    dashboardHost: e.BERTH_DASHBOARD_HOST,
    maxTimeoutSeconds: e.BERTH_MAX_TIMEOUT_SECONDS,
    pidsLimit: e.BERTH_PIDS_LIMIT,
    dropCapabilities: e.BERTH_DROP_CAPABILITIES && e.BERTH_DROP_CAPABILITIES.length > 0 ? e.BERTH_DROP_CAPABILITIES : DEFAULT_DROP_CAPABILITIES,
    noNewPrivileges: e.BERTH_NO_NEW_PRIVILEGES,
    allowedHostPaths: e.BERTH_ALLOWED_HOST_PATHS,
    ossfsMountRoot: e.BERTH_OSSFS_MOUNT_ROOT,
    ossfsBin: e.BERTH_OSSFS_BIN,
    ossfs2Bin: e.BERTH_OSSFS2_BIN,
    credentialsDir: e.BERTH_CREDENTIALS_DIR || `${e.BERTH_DATA_DIR.replace(/\/+$/, '')}/run/credentials`,
    secretKey: e.BERTH_SECRET_KEY,
    reaperIntervalMs: e.BERTH_REAPER_INTERVAL_MS,
    reconcileIntervalMs: e.BERTH_RECONCILE_INTERVAL_MS,
    vacuumIntervalMs: e.BERTH_VACUUM_INTERVAL_MS,
    logLevel: e.BERTH_LOG_LEVEL,
    poolImplicitMatch: e.BERTH_POOL_IMPLICIT_MATCH,
    poolIntervalMs: e.BERTH_POOL_INTERVAL_MS,
    execdMaxJsonBytes: e.BERTH_EXECD_MAX_JSON_BYTES,
    execdMaxUploadBytes: e.BERTH_EXECD_MAX_UPLOAD_BYTES,
    execdMaxLogChunkBytes: e.BERTH_EXECD_MAX_LOG_CHUNK_BYTES,
    execdDownloadMemoryBytes: e.BERTH_EXECD_DOWNLOAD_MEMORY_BYTES,
    execdMaxReplaceBytes: e.BERTH_EXECD_MAX_REPLACE_BYTES,
    execdMaxBackgroundLogBytes: e.BERTH_EXECD_MAX_BACKGROUND_LOG_BYTES,
    execdCommandRetentionSeconds: e.BERTH_EXECD_COMMAND_RETENTION_SECONDS,
    execdMaxWalkEntries: e.BERTH_EXECD_MAX_WALK_ENTRIES,
    execdMaxWalkBytes: e.BERTH_EXECD_MAX_WALK_BYTES,
    webhookAllowPrivate: e.BERTH_WEBHOOK_ALLOW_PRIVATE,
    corsOrigins: e.BERTH_CORS_ORIGINS,
    eventRetentionHours: e.BERTH_EVENT_RETENTION_HOURS,
  });
}
