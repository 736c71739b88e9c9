import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import Docker from 'dockerode';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeRuntime } from '../../src/adapters/docker/dockerode-runtime.js';
import { CONNECT_TIMEOUT_SECONDS, openDb, type DbHandle } from '../../src/adapters/postgres/client.js';
import { createApp } from '../../src/app.js';
import { composeDeps } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { withTx } from '../../src/db/tx.js';
import { knownError } from '../../src/domain/outage.js';
import { READINESS_TIMEOUT_MS } from '../../src/domain/readiness.js';
import type { ContainerRuntime } from '../../src/domain/ports.js';
import { noVolumes } from '../../src/domain/volumes/port.js';
import { RecordingLogger } from '../fakes/recording-logger.js';
import { createBody, DB_KINDS, TEST_API_KEY, TEST_IMAGE, type DbKind } from '../helpers/app.js';
import { createPgliteTestDb, createPostgresTestDb, TEST_DATABASE_URL, type TestDb } from '../helpers/db.js';

// What a client sees while a dependency is down: 503 {code, message} at once, never a 500 or a hang, and
// nothing half-made. Real Postgres (a refused port, terminated backends), PGlite, the real Docker engine,
// and a Docker socket path nothing listens on.

const run = randomBytes(3).toString('hex');
const deadSocket = `/tmp/berth-no-docker-${run}.sock`;
const realDocker = new Docker({ socketPath: '/var/run/docker.sock' });
const log = new RecordingLogger();

function appOver(db: DbHandle['db'], runtime: ContainerRuntime) {
  const config = loadConfig({ BERTH_API_KEY: TEST_API_KEY, BERTH_PUBLIC_HOST: '127.0.0.1', BERTH_SECRET_KEY: '07'.repeat(32) }, 'test-host');
  const deps = composeDeps({ db, runtime, log, config, volumes: noVolumes, instanceId: `outage-${run}`, processId: 'test-host:1:outage' });
  const app = createApp(deps);
  const call = (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  return { app, call };
}

/** A TCP port nobody listens on (bound once, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('the database is unreachable (Postgres refuses connections)', () => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await openDb({ databaseUrl: `postgres://berth:berth@127.0.0.1:${await closedPort()}/berth`, poolSize: 2 });
  });
  afterAll(() => handle.close());

  it('API requests answer 503 DATABASE::UNAVAILABLE, /ready names the database, /health stays 200', async () => {
    const { call } = appOver(handle.db, new DockerodeRuntime(realDocker, log));
    for (const [method, path, body] of [
      ['GET', '/v1/sandboxes'],
      ['GET', '/v1/sandboxes/sbx_nope'],
      ['POST', '/v1/sandboxes', createBody()],
      ['DELETE', '/v1/sandboxes/sbx_nope'],
    ] as const) {
      const res = await call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(await res.json()).toEqual({ code: 'DATABASE::UNAVAILABLE', message: expect.stringMatching(/database/i) });
    }
    const ready = await call('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ code: 'DATABASE::UNAVAILABLE', message: 'Not ready: the database is not reachable.' });
    expect((await call('GET', '/health')).status).toBe(200);
  });
});

describe('the database accepts connections but never answers (a hung server, a half-open path)', () => {
  const held = new Set<Socket>();
  let silent: Server;
  let handle: DbHandle;
  beforeAll(async () => {
    silent = createServer((socket) => {
      held.add(socket); // accepted, never answered: the start-up message waits forever
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    handle = await openDb({ databaseUrl: `postgres://berth:berth@127.0.0.1:${(silent.address() as AddressInfo).port}/berth`, poolSize: 2 });
  });
  afterAll(async () => {
    await handle.close();
    for (const s of held) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it(`answers 503 DATABASE::UNAVAILABLE within the connect timeout (${CONNECT_TIMEOUT_SECONDS} s), not postgres.js's 30 s`, async () => {
    const { call } = appOver(handle.db, new DockerodeRuntime(realDocker, log));
    for (const [method, path] of [
      ['GET', '/v1/sandboxes'],
      ['GET', '/v1/sandboxes/sbx_nope'],
    ] as const) {
      const t0 = performance.now();
      const res = await call(method, path);
      const ms = performance.now() - t0;
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'DATABASE::UNAVAILABLE' });
      // a fixed bound, not one derived from the setting: a client must not wait long whatever it says
      expect(ms, `${method} ${path} took ${Math.round(ms)} ms`).toBeLessThan(3500);
    }
    // the readiness probe gives up on its own, sooner
    const t0 = performance.now();
    expect((await call('GET', '/ready')).status).toBe(503);
    expect(performance.now() - t0).toBeLessThan(READINESS_TIMEOUT_MS + 500);
  });
});

describe('Postgres ends the session in the middle of a transaction (pg_terminate_backend)', () => {
  let t: TestDb;
  let admin: postgres.Sql;
  beforeAll(async () => {
    t = await createPostgresTestDb({ migrate: false, poolSize: 3 });
    admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    await t.handle.db.execute(sql`create table cut (id int primary key)`);
  });
  afterAll(async () => {
    await admin.end();
    await t.drop();
  });

  it('the transaction rejects as DATABASE::UNAVAILABLE, nothing it wrote is committed, and the pool serves the next query', async () => {
    const err = await withTx(t.handle.db, async (tx) => {
      await tx.execute(sql`insert into cut values (1)`);
      const [me] = (await tx.execute(sql`select pg_backend_pid() as pid`)) as unknown as Array<{ pid: number }>;
      await admin`select pg_terminate_backend(${me!.pid})`;
      await tx.execute(sql`insert into cut values (2)`);
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(knownError(err)).toMatchObject({ kind: 'unavailable', code: 'DATABASE::UNAVAILABLE' });
    const rows = (await t.handle.db.execute(sql`select id from cut`)) as unknown as unknown[];
    expect(rows).toEqual([]);
  });
});

describe.each(DB_KINDS)('the Docker engine is unreachable after boot (%s)', (kind: DbKind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = kind === 'postgres' ? await createPostgresTestDb() : await createPgliteTestDb();
  });
  afterAll(() => t.drop());

  it('a create answers 503 DOCKER::ENGINE_UNREACHABLE and leaves no row; /ready names the engine', async () => {
    const { call } = appOver(t.handle.db, new DockerodeRuntime(new Docker({ socketPath: deadSocket }), log));
    const res = await call('POST', '/v1/sandboxes', createBody({ image: { uri: TEST_IMAGE } }));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ code: 'DOCKER::ENGINE_UNREACHABLE', message: expect.stringMatching(/Docker engine is not reachable/) });
    const rows = (await t.handle.db.execute(sql`select count(*)::int as n from sandboxes`)) as unknown as { rows?: Array<{ n: number }> } & Array<{
      n: number;
    }>;
    expect((rows.rows ?? rows)[0]!.n).toBe(0);
    const ready = await call('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ code: 'DOCKER::ENGINE_UNREACHABLE', message: 'Not ready: the Docker engine is not reachable.' });
  });

  it('/ready answers 200 without an API key while the database and the engine answer', async () => {
    const { app } = appOver(t.handle.db, new DockerodeRuntime(realDocker, log));
    const res = await app.request('/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: 'ok', engine: 'ok' });
  });
});

describe('DockerodeRuntime on a socket nobody listens on', () => {
  const dead = new DockerodeRuntime(new Docker({ socketPath: deadSocket }), log);
  it.each([
    ['ensureImage', () => dead.ensureImage(TEST_IMAGE)],
    ['inspect', () => dead.inspect('0123456789ab')],
    ['remove', () => dead.remove('0123456789ab')],
    ['listOwned', () => dead.listOwned(`outage-${run}`)],
  ] as const)('%s rejects with 503 DOCKER::ENGINE_UNREACHABLE', async (_name, call) => {
    await expect((call as () => Promise<unknown>)()).rejects.toMatchObject({ kind: 'unavailable', code: 'DOCKER::ENGINE_UNREACHABLE' });
  });
});
