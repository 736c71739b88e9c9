/**
 * Where a create's time goes (`npx tsx bench/lib/profile-create.ts`, env PROFILE_N, default 10).
 * The server's own composition (PGlite in a temp folder, DockerodeRuntime, the real createSandbox and
 * deleteSandbox verbs, the real Hono app through app.request) in this process, with timing wrappers on
 * the Docker calls and the database transactions, alternated with a raw dockerode create+start of the
 * same container. No src/ file is changed; the wrappers sit on the objects this script builds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DockerodeRuntime } from '../../src/adapters/docker/dockerode-runtime.js';
import { silentLogger } from '../../src/adapters/logger.js';
import { openDb } from '../../src/adapters/postgres/client.js';
import { runMigrations } from '../../src/adapters/postgres/migrate.js';
import { createApp } from '../../src/app.js';
import { composeDeps } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/domain/deps.js';
import { loadInstanceId } from '../../src/domain/instance.js';
import { noopMetrics } from '../../src/domain/metrics.js';
import { noVolumes } from '../../src/domain/volumes/port.js';
import { rawCreateOptions, rawCreateStart, rawRemove, removeByLabel, type SandboxShape } from './raw-docker.js';
import { summarize } from './stats.js';

const N = Number(process.env.PROFILE_N ?? 10);
const SHAPE: SandboxShape = { image: 'berth-base:latest', entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: { cpu: '500m', memory: '256Mi' } };
const KEY = randomBytes(12).toString('hex');

const samples = new Map<string, number[]>();
let current: Map<string, number> | null = null;
function record(name: string, ms: number) {
  if (current) current.set(name, (current.get(name) ?? 0) + ms);
}
/** Times every call of obj[method]; works on prototypes too (the original runs with the caller's this). */
function wrap<T extends object>(obj: T, method: keyof T & string, name: string) {
  const orig = obj[method] as (...a: unknown[]) => Promise<unknown>;
  (obj as Record<string, unknown>)[method] = async function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    try {
      return await orig.apply(this, args);
    } finally {
      record(name, performance.now() - t0);
    }
  };
}
async function measure(label: string, fn: () => Promise<void>) {
  current = new Map();
  const t0 = performance.now();
  await fn();
  const total = performance.now() - t0;
  // What is neither Docker nor the database: HTTP, validation, JSON, drizzle mapping, logging.
  current.set('rest', total - [...current.values()].reduce((a, b) => a + b, 0));
  current.set('total', total);
  for (const [k, v] of current) {
    const key = `${label}.${k}`;
    samples.set(key, [...(samples.get(key) ?? []), v]);
  }
  current = null;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-profile-'));
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const rawInstance = `bench-raw-${randomUUID()}`;
  let instanceId = '';
  const handle = await openDb({ dataDir });
  try {
    await runMigrations(handle);
    instanceId = await loadInstanceId(handle.db);
    const config = { ...loadConfig({ BERTH_API_KEY: KEY }, hostname()) };

    // Timing wrappers: Docker calls on the engine client and on every Container object it hands out,
    // and the database transactions (each create runs two, each delete two).
    wrap(docker, 'createContainer', 'docker.create');
    const proto = Object.getPrototypeOf(docker.getContainer('x')) as Docker.Container;
    for (const m of ['start', 'inspect', 'remove'] as const) wrap(proto, m, `docker.${m}`);
    const img = Object.getPrototypeOf(docker.getImage('x')) as Docker.Image;
    wrap(img, 'inspect', 'docker.imageInspect');
    wrap(handle.db as unknown as { transaction: () => Promise<unknown> }, 'transaction', 'db.tx');

    const runtime = new DockerodeRuntime(docker, silentLogger);
    const deps: Deps = composeDeps({
      db: handle.db,
      runtime,
      log: silentLogger,
      config,
      metrics: noopMetrics,
      volumes: noVolumes,
      serverKey: randomBytes(32), // the profile creates no webhooks or mounts
      instanceId,
      processId: `${config.hostId}:${process.pid}:profile`,
    });
    const app = createApp(deps);
    const headers = { 'OPEN-SANDBOX-API-KEY': KEY, 'content-type': 'application/json' };
    const body = JSON.stringify({ image: { uri: SHAPE.image }, entrypoint: SHAPE.entrypoint, resourceLimits: SHAPE.resourceLimits, timeout: 600 });

    const api = async () => {
      let id = '';
      await measure('apiCreate', async () => {
        const res = await app.request('/v1/sandboxes', { method: 'POST', body, headers });
        id = ((await res.json()) as { id: string }).id;
        if (res.status !== 202) throw new Error(`create ${res.status}`);
      });
      await measure('apiDelete', async () => {
        const res = await app.request(`/v1/sandboxes/${id}`, { method: 'DELETE', headers });
        if (res.status !== 204) throw new Error(`delete ${res.status}`);
      });
    };
    const raw = async () => {
      const opts = rawCreateOptions(SHAPE, rawInstance);
      let c: Docker.Container | undefined;
      await measure('rawCreate', async () => {
        c = await rawCreateStart(docker, opts);
      });
      await measure('rawRemove', () => rawRemove(c!));
    };
    await api();
    await raw();
    samples.clear();
    for (let i = 0; i < N; i++) {
      if (i % 2 === 0) {
        await api();
        await raw();
      } else {
        await raw();
        await api();
      }
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    const rows = [...samples.entries()].sort(([a], [b]) => a.localeCompare(b));
    for (const [k, v] of rows) {
      const s = summarize(v);
      console.log(`${k.padEnd(28)} p50 ${s.p50.toFixed(1).padStart(7)}  p95 ${s.p95.toFixed(1).padStart(7)}  (n=${v.length})`);
    }
    console.log(JSON.stringify(Object.fromEntries(rows.map(([k, v]) => [k, summarize(v)]))));
  } finally {
    await handle.close();
    await removeByLabel(docker, `berth.instance=${rawInstance}`);
    if (instanceId) await removeByLabel(docker, `berth.instance=${instanceId}`);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
