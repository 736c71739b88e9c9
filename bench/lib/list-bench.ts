import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../src/adapters/postgres/client.js';
import { runMigrations } from '../../src/adapters/postgres/migrate.js';
import { createPostgresTestDb, type TestDb } from '../../test/helpers/db.js';
import { startServer, type ServerProc } from '../../test/helpers/server.js';
import { memoryOf } from './proc.js';
import { SEED, seedSandboxRows } from './seed.js';
import { serverDurations } from './server-log.js';
import { summarize, timed, type Summary } from './stats.js';

/**
 * (c) of bench:create: GET /v1/sandboxes on a server whose database already holds `rows` live sandboxes,
 * each query repeated `reps` times after 10 warm-up calls, timed by the client and by the server's access log.
 */
export type ListOptions = { rows: number; reps: number; serverEnv: Record<string, string>; cleanups: (() => Promise<unknown>)[] };

let seq = 0;
const rid = (prefix: string) => ({ 'X-Request-ID': `${prefix}${++seq}` });

export type ListFigures = {
  rows: number;
  plain: Summary;
  state: Summary;
  metadata: Summary;
  /** the same requests as the server's access log timed them */
  serverSide: { plain: Summary; state: Summary; metadata: Summary };
  rss: { idleMb: number; afterMb: number };
};

async function listBench(server: ServerProc, rows: number, reps: number): Promise<ListFigures> {
  const running = rows - Math.ceil(rows / SEED.pausedEvery);
  const queries = {
    plain: { path: '/v1/sandboxes?page=1&pageSize=20', total: rows },
    state: { path: '/v1/sandboxes?state=Running&page=1&pageSize=20', total: running },
    metadata: { path: `/v1/sandboxes?page=1&pageSize=20&metadata=${encodeURIComponent('team=team-3&env=prod')}`, total: SEED.metadataMatches(rows) },
  };
  const idle = memoryOf(server.child.pid!);
  const out: Record<string, Summary> = {};
  for (const [name, q] of Object.entries(queries)) {
    const once = async (tag = 'bench-warm-') => {
      const res = await server.api(q.path, { headers: rid(tag) });
      const j = (await res.json()) as { items: unknown[]; pagination: { totalItems: number } };
      if (res.status !== 200 || j.items.length !== Math.min(20, q.total) || j.pagination.totalItems !== q.total)
        throw new Error(`${q.path}: ${res.status}, ${j.items?.length} items, total ${j.pagination?.totalItems} (expected ${q.total})`);
    };
    for (let i = 0; i < 10; i++) await once();
    const samples: number[] = [];
    for (let i = 0; i < reps; i++) samples.push((await timed(() => once(`bench-list-${name}-`))).ms);
    out[name] = summarize(samples);
    out[`${name}Server`] = summarize(serverDurations(server, `bench-list-${name}-`));
  }
  const after = memoryOf(server.child.pid!);
  return {
    rows,
    plain: out.plain!,
    state: out.state!,
    metadata: out.metadata!,
    serverSide: { plain: out.plainServer!, state: out.stateServer!, metadata: out.metadataServer! },
    rss: { idleMb: idle.rssMb, afterMb: after.rssMb },
  };
}

export async function listOnPostgres({ rows, reps, serverEnv, cleanups }: ListOptions): Promise<ListFigures> {
  // Migrate after registering the drop, so a failed migration does not leave the database behind.
  const db: TestDb = await createPostgresTestDb({ migrate: false });
  cleanups.push(() => db.drop());
  await runMigrations(db.handle);
  await seedSandboxRows(db.handle.db, rows, hostname());
  await db.handle.sql!.unsafe('analyze sandboxes');
  const server = await startServer({ databaseUrl: db.url, env: serverEnv });
  cleanups.push(() => server.kill());
  try {
    return await listBench(server, rows, reps);
  } finally {
    await server.kill();
  }
}

export async function listOnPglite({ rows, reps, serverEnv, cleanups }: ListOptions): Promise<ListFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-pglite-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  // PGlite is single-process: seed its data folder first, close it, then let the server open it.
  const handle = await openDb({ dataDir });
  await runMigrations(handle);
  await seedSandboxRows(handle.db, rows, hostname());
  await handle.pglite!.query('analyze sandboxes');
  await handle.close();
  const server = await startServer({ dataDir, env: serverEnv });
  cleanups.push(() => server.kill());
  try {
    return await listBench(server, rows, reps);
  } finally {
    await server.kill();
  }
}
