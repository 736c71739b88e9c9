import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/adapters/postgres/client.js';
import { runMigrations } from '../../src/adapters/postgres/migrate.js';
import { createPgliteTestDb, createPostgresTestDb, type TestDb } from '../helpers/db.js';

const dbs: TestDb[] = [];
afterAll(async () => {
  for (const d of dbs) await d.drop();
});

describe('migrations at boot', () => {
  it('three processes migrating one fresh Postgres database at once apply each migration exactly once', async () => {
    const t = await createPostgresTestDb({ migrate: false });
    dbs.push(t);
    const handles = await Promise.all([1, 2, 3].map(() => openDb({ databaseUrl: t.url, poolSize: 2 })));
    await Promise.all(handles.map((h) => runMigrations(h)));
    const rows = await t.handle.sql!`select hash, count(*)::int as n from drizzle.__drizzle_migrations group by hash`;
    const journal = (await import('../../migrations/meta/_journal.json', { with: { type: 'json' } })).default;
    expect(rows.length).toBe(journal.entries.length);
    for (const r of rows) expect(r.n).toBe(1);
    await Promise.all(handles.map((h) => h.close()));
  });

  it('the same folder migrates the embedded PGlite, and a second run is a no-op', async () => {
    const t = await createPgliteTestDb();
    dbs.push(t);
    await runMigrations(t.handle);
    const res = await t.handle.pglite!.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations');
    const journal = (await import('../../migrations/meta/_journal.json', { with: { type: 'json' } })).default;
    expect(res.rows[0]!.n).toBe(journal.entries.length);
  });
});
