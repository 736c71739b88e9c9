import { hostname } from 'node:os';
import { openDb, type OpenDbOptions } from '../../src/adapters/postgres/client.js';
import { runMigrations } from '../../src/adapters/postgres/migrate.js';
import type { CompiledServer } from './compiled-server.js';
import { SEED, seedSandboxRows } from './seed.js';
import { summarize, timed, type Summary } from './stats.js';

export type ListFigures = { rows: number; plain: Summary; metadata: Summary };

/** `rows` live sandbox rows (bench/lib/seed.ts) into a database berth has already migrated, then ANALYZE. */
export async function seedInto(target: OpenDbOptions, rows: number): Promise<void> {
  const handle = await openDb(target);
  try {
    await runMigrations(handle);
    await seedSandboxRows(handle.db, rows, hostname());
    if (handle.pglite) await handle.pglite.query('analyze sandboxes');
    else await handle.sql!.unsafe('analyze sandboxes');
  } finally {
    await handle.close();
  }
}

/** GET /v1/sandboxes (first page of 20; and with a metadata filter), `reps` times each after 10 warm-up calls. */
export async function listLatency(server: CompiledServer, rows: number, reps: number): Promise<ListFigures> {
  const queries = {
    plain: { path: '/v1/sandboxes?page=1&pageSize=20', total: rows },
    metadata: { path: `/v1/sandboxes?page=1&pageSize=20&metadata=${encodeURIComponent('team=team-3&env=prod')}`, total: SEED.metadataMatches(rows) },
  };
  const out: Record<string, Summary> = {};
  for (const [name, q] of Object.entries(queries)) {
    const once = async () => {
      const res = await server.api(q.path);
      const j = (await res.json()) as { items: unknown[]; pagination: { totalItems: number } };
      if (res.status !== 200 || j.items.length !== Math.min(20, q.total) || j.pagination.totalItems !== q.total)
        throw new Error(`${q.path}: ${res.status}, ${j.items?.length} items, total ${j.pagination?.totalItems} (expected ${q.total})`);
    };
    for (let i = 0; i < 10; i++) await once();
    const samples: number[] = [];
    for (let i = 0; i < reps; i++) samples.push((await timed(once)).ms);
    out[name] = summarize(samples);
  }
  return { rows, plain: out.plain!, metadata: out.metadata! };
}
