import type { OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { PrometheusMetrics } from '../../src/adapters/metrics.js';
import { createApp } from '../../src/app.js';
import { composeDeps } from '../../src/compose.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Deps } from '../../src/domain/deps.js';
import { noVolumes, type SandboxVolumes } from '../../src/domain/volumes/port.js';
import { FakeRuntime } from '../fakes/fake-runtime.js';
import { FixedClock } from '../fakes/fixed-clock.js';
import { RecordingLogger } from '../fakes/recording-logger.js';
import { createPgliteTestDb, createPostgresTestDb, reopenPostgresTestDb, type TestDb } from './db.js';

import { TEST_API_KEY } from './keys.js';

export { TEST_API_KEY };
export const TEST_INSTANCE_ID = 'test-instance';
export const TEST_IMAGE = 'berth-base:latest';
/** set in the config, so loading the server key never writes a key file into the working directory */
const TEST_SECRET_KEY = '07'.repeat(32);

export type DbKind = 'postgres' | 'pglite';
/** For describe.each: every HTTP integration suite runs against real Postgres and the embedded PGlite. */
export const DB_KINDS: DbKind[] = ['postgres', 'pglite'];

export type TestApp = {
  app: OpenAPIHono;
  deps: Deps;
  runtime: FakeRuntime;
  clock: FixedClock;
  log: RecordingLogger;
  testDb: TestDb;
  /** app.request with the API key and, when a body is given, JSON encoding */
  call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;
  /** rows in `sandboxes` (history included) */
  countRows: () => Promise<number>;
  close: () => Promise<void>;
};

export type TestAppOptions = {
  config?: Partial<Config>;
  volumes?: SandboxVolumes;
  metrics?: PrometheusMetrics;
  /** a second berth process: its own pool on this (Postgres) app's database, which its close() leaves in place */
  sameDatabaseAs?: TestApp;
};

/**
 * createApp over a real database (a fresh Postgres database or an in-memory PGlite, migrated), a fake
 * container runtime, a fixed clock and a recording logger. One per test file: PGlite takes ~1 s to open.
 */
export async function buildTestApp(kind: DbKind, opts: TestAppOptions = {}): Promise<TestApp> {
  const testDb = opts.sameDatabaseAs
    ? await reopenPostgresTestDb(opts.sameDatabaseAs.testDb.url)
    : kind === 'postgres'
      ? await createPostgresTestDb()
      : await createPgliteTestDb();
  const runtime = new FakeRuntime();
  runtime.images.add(TEST_IMAGE);
  const clock = new FixedClock();
  const log = new RecordingLogger();
  const config: Config = {
    ...loadConfig({ BERTH_API_KEY: TEST_API_KEY, BERTH_PUBLIC_HOST: '127.0.0.1', BERTH_SECRET_KEY: TEST_SECRET_KEY }, 'test-host'),
    ...opts.config,
  };
  const deps: Deps = composeDeps({
    db: testDb.handle.db,
    runtime,
    clock,
    log,
    config,
    ...(opts.metrics && { metrics: opts.metrics }),
    volumes: opts.volumes ?? noVolumes,
    instanceId: TEST_INSTANCE_ID,
    processId: 'test-host:1:cafe',
  });
  const app = createApp(deps);
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method,
      headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, ...(body !== undefined && { 'Content-Type': 'application/json' }), ...headers },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  const countRows = async () => {
    const rows = await testDb.handle.db.execute(sql`select count(*)::int as n from sandboxes`);
    return Number(rowsOf<{ n: number }>(rows)[0]?.n ?? 0);
  };
  return { app, deps, runtime, clock, log, testDb, call, countRows, close: () => testDb.drop() };
}

/** postgres.js returns an array of rows, PGlite an object with `rows`. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

/** A create body like the SDK's Sandbox.create() sends, with overrides. */
export function createBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    image: { uri: TEST_IMAGE },
    entrypoint: ['tail', '-f', '/dev/null'],
    resourceLimits: { cpu: '1', memory: '2Gi' },
    timeout: 600,
    env: {},
    metadata: {},
    extensions: {},
    secureAccess: false,
    ...overrides,
  };
}
