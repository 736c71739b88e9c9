import { randomBytes } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import Docker from 'dockerode';
import { DockerodeRuntime } from '../../src/adapters/docker/dockerode-runtime.js';
import { DockerSandboxExec } from '../../src/adapters/docker/sandbox-exec.js';
import { createApp } from '../../src/app.js';
import { composeDeps } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/domain/deps.js';
import { noVolumes } from '../../src/domain/volumes/port.js';
import { RecordingLogger } from '../fakes/recording-logger.js';
import { TEST_API_KEY, TEST_IMAGE, type DbKind } from './app.js';
import { removeInstanceContainers } from './server.js';
import { createPgliteTestDb, createPostgresTestDb, type TestDb } from './db.js';

export const DOCKER_SOCKET = '/var/run/docker.sock';

export type ExecdApp = {
  app: OpenAPIHono;
  deps: Deps;
  docker: Docker;
  log: RecordingLogger;
  /** create a Running sandbox through the API (real container); returns its id */
  createSandbox: (body?: Record<string, unknown>) => Promise<string>;
  /** a request to the sandbox's execd (`/v1/sandboxes/{id}/proxy/44772<path>`) with the API key */
  execd: (sandboxId: string, path: string, init?: RequestInit) => Promise<Response>;
  /** a lifecycle API call with the API key */
  api: (path: string, init?: RequestInit) => Promise<Response>;
  close: () => Promise<void>;
};

/**
 * The app over a real database and the real Docker engine (DockerodeRuntime + DockerSandboxExec), for execd
 * integration tests. Every container it makes carries its own instance id and goes in close(). `env` adds
 * configuration variables (the ones an operator sets), e.g. a small execd limit.
 */
export async function buildExecdApp(kind: DbKind = 'postgres', env: Record<string, string> = {}): Promise<ExecdApp> {
  const testDb: TestDb = kind === 'postgres' ? await createPostgresTestDb() : await createPgliteTestDb();
  const docker = new Docker({ socketPath: DOCKER_SOCKET });
  const log = new RecordingLogger();
  const instanceId = `execd-it-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({ BERTH_API_KEY: TEST_API_KEY, BERTH_PUBLIC_HOST: '127.0.0.1', BERTH_SECRET_KEY: '07'.repeat(32), ...env }, 'test-host');
  const deps = composeDeps({
    db: testDb.handle.db,
    runtime: new DockerodeRuntime(docker, log),
    exec: new DockerSandboxExec(docker, DOCKER_SOCKET),
    log,
    config,
    volumes: noVolumes,
    instanceId,
    processId: `test-host:${process.pid}:execd`,
  });
  const app = createApp(deps);
  const auth = { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY };
  const api = async (path: string, init: RequestInit = {}) => app.request(path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  const execd = (sandboxId: string, path: string, init: RequestInit = {}) => api(`/v1/sandboxes/${sandboxId}/proxy/44772${path}`, init);
  const createSandbox = async (body: Record<string, unknown> = {}) => {
    const res = await api('/v1/sandboxes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        image: { uri: TEST_IMAGE },
        entrypoint: ['tail', '-f', '/dev/null'],
        resourceLimits: { cpu: '1', memory: '256Mi' },
        timeout: 600,
        ...body,
      }),
    });
    if (res.status !== 202) throw new Error(`create: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  };
  const close = async () => {
    await removeInstanceContainers(instanceId);
    await testDb.drop();
  };
  return { app, deps, docker, log, createSandbox, execd, api, close };
}
