/**
 * npm run bench:create — what the API costs on top of Docker, in one run:
 *  (a)+(b) N sandboxes created (timed until the 202) and deleted (until the 204) through a real server
 *          on the embedded database, alternated with the same containers made by raw dockerode
 *          create+start and remove(force); p50/p95 of both and the ratio API/raw;
 *  (c)     GET /v1/sandboxes latency with 10,000 rows (plain, state filter, metadata filter), on Postgres
 *          and on PGlite;
 *  (d)     the server's resident memory, idle and after the runs.
 * Env: BENCH_N (default 20), BENCH_LIST_ROWS (10000), BENCH_LIST_REPS (200), BENCH_SKIP_PGLITE_LIST=1,
 * BENCH_SERVER_LOG=<file> (the create server's log lines, for profiling).
 * Everything it makes (containers, the Postgres database, data folders) is removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { removeInstanceContainers, startServer, type ServerProc } from '../test/helpers/server.js';
import { memoryOf } from './lib/proc.js';
import { serverDurations } from './lib/server-log.js';
import { rawCreateOptions, rawCreateStart, rawRemove, type SandboxShape } from './lib/raw-docker.js';
import { runBench } from './lib/run-bench.js';
import { listOnPglite, listOnPostgres, type ListFigures } from './lib/list-bench.js';
import { round, summarize, timed, type Summary } from './lib/stats.js';

const N = Number(process.env.BENCH_N ?? 20);
const LIST_ROWS = Number(process.env.BENCH_LIST_ROWS ?? 10_000);
const LIST_REPS = Number(process.env.BENCH_LIST_REPS ?? 200);
const WARMUP = 2;
const SHAPE: SandboxShape = { image: 'berth-base:latest', entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: { cpu: '500m', memory: '256Mi' } };
// The production reaper interval (the test harness uses 250 ms to make expiry tests fast).
const SERVER_ENV = { BERTH_REAPER_INTERVAL_MS: '1000' };

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const rawInstance = `bench-raw-${randomUUID()}`;
const cleanups: (() => Promise<unknown>)[] = [];
const log = (s: string) => process.stderr.write(`${s}\n`);

let seq = 0;
const rid = (prefix: string) => ({ 'X-Request-ID': `${prefix}${++seq}` });

async function apiCreate(server: ServerProc, tag = 'bench-warm-'): Promise<{ ms: number; id: string }> {
  const body = JSON.stringify({
    image: { uri: SHAPE.image },
    entrypoint: SHAPE.entrypoint,
    resourceLimits: SHAPE.resourceLimits,
    timeout: 600,
    metadata: { bench: 'create' },
  });
  const { ms, value } = await timed(async () => {
    const res = await server.api('/v1/sandboxes', { method: 'POST', body, headers: rid(tag) });
    const json = (await res.json()) as { id?: string; message?: string };
    if (res.status !== 202 || !json.id) throw new Error(`create answered ${res.status}: ${JSON.stringify(json)}`);
    return json.id;
  });
  return { ms, id: value };
}

async function apiDelete(server: ServerProc, id: string, tag = 'bench-warm-'): Promise<number> {
  const { ms } = await timed(async () => {
    const res = await server.api(`/v1/sandboxes/${id}`, { method: 'DELETE', headers: rid(tag) });
    await res.arrayBuffer();
    if (res.status !== 204) throw new Error(`delete answered ${res.status}`);
  });
  return ms;
}

async function rawRound(): Promise<{ create: number; remove: number }> {
  const opts = rawCreateOptions(SHAPE, rawInstance);
  const { ms: create, value: c } = await timed(() => rawCreateStart(docker, opts));
  const { ms: remove } = await timed(() => rawRemove(c));
  return { create, remove };
}

async function createBench() {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServer({ dataDir, env: SERVER_ENV });
  cleanups.push(() => server.kill().then(() => removeInstanceContainers(server.instanceId)));
  await new Promise((r) => setTimeout(r, 1000));
  const idle = memoryOf(server.child.pid!);

  for (let i = 0; i < WARMUP; i++) {
    const { id } = await apiCreate(server);
    await apiDelete(server, id);
    await rawRound();
  }

  const api = { create: [] as number[], delete: [] as number[] };
  const raw = { create: [] as number[], remove: [] as number[] };
  for (let i = 0; i < N; i++) {
    // Alternate which goes first, so drift and noise land on both sides equally.
    const doApi = async () => {
      const c = await apiCreate(server, 'bench-create-');
      api.create.push(c.ms);
      api.delete.push(await apiDelete(server, c.id, 'bench-delete-'));
    };
    const doRaw = async () => {
      const r = await rawRound();
      raw.create.push(r.create);
      raw.remove.push(r.remove);
    };
    if (i % 2 === 0) {
      await doApi();
      await doRaw();
    } else {
      await doRaw();
      await doApi();
    }
    log(`  round ${i + 1}/${N}: api create ${api.create.at(-1)!.toFixed(1)} ms, raw create+start ${raw.create.at(-1)!.toFixed(1)} ms`);
  }
  const after = memoryOf(server.child.pid!);
  const serverSide = { create: serverDurations(server, 'bench-create-'), delete: serverDurations(server, 'bench-delete-') };
  if (process.env.BENCH_SERVER_LOG) writeFileSync(process.env.BENCH_SERVER_LOG, `${server.lines.join('\n')}\n`);
  await server.kill();
  await removeInstanceContainers(server.instanceId);
  return { api, raw, idle, after, serverSide };
}

const fmt = (s: Summary) => `${s.p50.toFixed(1).padStart(8)} ${s.p95.toFixed(1).padStart(8)}`;

async function main() {
  log(`bench:create  N=${N}, list rows=${LIST_ROWS} x ${LIST_REPS}`);
  log('(a+b) create/delete: API (embedded PGlite) vs raw dockerode, alternating');
  const c = await createBench();
  // A list run that cannot complete is reported (and the JSON carries its error) without losing the rest.
  const attempt = async (name: string, fn: () => Promise<ListFigures>): Promise<ListFigures | { error: string }> => {
    log(`(c) list on ${name}`);
    try {
      return await fn();
    } catch (e) {
      log(`(c) list on ${name} FAILED: ${String((e as Error)?.stack ?? e)}`);
      return { error: String((e as Error)?.message ?? e) };
    }
  };
  const listOpts = { rows: LIST_ROWS, reps: LIST_REPS, serverEnv: SERVER_ENV, cleanups };
  const pg = await attempt('Postgres 15', () => listOnPostgres(listOpts));
  const pglite = process.env.BENCH_SKIP_PGLITE_LIST === '1' ? null : await attempt('PGlite', () => listOnPglite(listOpts));

  const s = {
    apiCreate: summarize(c.api.create),
    rawCreate: summarize(c.raw.create),
    apiDelete: summarize(c.api.delete),
    apiCreateServer: summarize(c.serverSide.create),
    apiDeleteServer: summarize(c.serverSide.delete),
    rawRemove: summarize(c.raw.remove),
  };
  const ratio = (a: number, b: number) => round(a / b, 3);
  const figures = {
    n: N,
    create: {
      api: s.apiCreate,
      apiServerSide: s.apiCreateServer,
      raw: s.rawCreate,
      ratioP50: ratio(s.apiCreate.p50, s.rawCreate.p50),
      ratioP95: ratio(s.apiCreate.p95, s.rawCreate.p95),
    },
    delete: {
      api: s.apiDelete,
      apiServerSide: s.apiDeleteServer,
      raw: s.rawRemove,
      ratioP50: ratio(s.apiDelete.p50, s.rawRemove.p50),
      ratioP95: ratio(s.apiDelete.p95, s.rawRemove.p95),
    },
    list: { postgres: pg, pglite },
    rss: { idleMb: c.idle.rssMb, afterCreatesMb: c.after.rssMb, peakMb: c.after.hwmMb },
    targets: { createRatioP50: 1.15, listP50Ms: 20 },
  };

  const lines = [
    '',
    `                                 p50 ms   p95 ms`,
    `API create (202)              ${fmt(s.apiCreate)}`,
    `  server-side (access log)    ${fmt(s.apiCreateServer)}`,
    `raw create+start              ${fmt(s.rawCreate)}`,
    `  ratio API/raw               ${String(figures.create.ratioP50).padStart(8)} ${String(figures.create.ratioP95).padStart(8)}   (target p50 <= 1.15)`,
    `API delete (204)              ${fmt(s.apiDelete)}`,
    `  server-side (access log)    ${fmt(s.apiDeleteServer)}`,
    `raw remove(force)             ${fmt(s.rawRemove)}`,
    `  ratio API/raw               ${String(figures.delete.ratioP50).padStart(8)} ${String(figures.delete.ratioP95).padStart(8)}`,
    ...[['Postgres', pg] as const, ['PGlite', pglite] as const].flatMap(([name, l]) =>
      !l
        ? []
        : 'error' in l
          ? [`list ${LIST_ROWS} rows, ${name}: FAILED (${l.error})`]
          : [
              `list ${l.rows} rows, ${name.padEnd(8)}  ${fmt(l.plain)}   (target p50 < 20)`,
              `  + state=Running             ${fmt(l.state)}`,
              `  + metadata team,env         ${fmt(l.metadata)}`,
              `  server-side p50: ${l.serverSide.plain.p50} / ${l.serverSide.state.p50} / ${l.serverSide.metadata.p50} ms`,
              `  server RSS idle -> after    ${l.rss.idleMb} -> ${l.rss.afterMb} MiB`,
            ],
    ),
    `server RSS (embedded db): idle ${c.idle.rssMb} MiB, after ${N + WARMUP} API creates/deletes ${c.after.rssMb} MiB (peak ${c.after.hwmMb} MiB)`,
    '',
  ];
  console.log(lines.join('\n'));
  console.log(JSON.stringify(figures));
}

runBench(main, { cleanups, docker, rawInstance, log });
