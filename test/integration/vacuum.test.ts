import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHURNED_TABLES, needsOwnVacuum, vacuumOnce } from '../../src/adapters/postgres/vacuum.js';
import { rowsOf } from '../../src/domain/volumes/ledger/mount-rows.js';
import { createPgliteTestDb, createPostgresTestDb, type TestDb } from '../helpers/db.js';

// berth vacuums its own tables where nothing else will (PGlite always; Postgres with autovacuum off).
describe.each([
  ['postgres', () => createPostgresTestDb()],
  ['pglite', () => createPgliteTestDb()],
] as const)('vacuuming berth tables (%s)', (kind, open) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    await t.drop();
  });

  it('is needed exactly when no autovacuum runs', async () => {
    const [row] = rowsOf<{ setting: string }>(await t.handle.db.execute(sql`select current_setting('autovacuum') as setting`));
    expect(await needsOwnVacuum(t.handle)).toBe(kind === 'pglite' || row!.setting !== 'on');
  });

  it('vacuums and analyzes every churned table, so the space of deleted rows is used again', async () => {
    const fill = (prefix: string) =>
      t.handle.db.execute(sql`insert into sandboxes (id, state, last_transition_at, image, entrypoint, created_at, container_name, host_id)
        select ${prefix} || g, 'Running', now(), 'x', '[]'::jsonb, now(), ${prefix} || 'c-' || g, 'h' from generate_series(1, 2000) g`);
    const size = async () => Number(rowsOf<{ n: string }>(await t.handle.db.execute(sql`select pg_relation_size('sandboxes') as n`))[0]!.n);
    await fill('v-');
    const full = await size();
    await t.handle.db.execute(sql`delete from sandboxes where id like 'v-%'`);
    await vacuumOnce(t.handle);
    const stats = rowsOf<{ relname: string; vacuumed: boolean; analyzed: boolean }>(
      await t.handle.db.execute(sql`select relname, last_vacuum is not null as vacuumed, last_analyze is not null as analyzed from pg_stat_user_tables`),
    );
    for (const table of CHURNED_TABLES)
      expect(
        stats.find((s) => s.relname === table),
        table,
      ).toMatchObject({ vacuumed: true, analyzed: true });
    // Without the vacuum the same number of new rows would go to new pages and double the table.
    await fill('w-');
    expect(await size()).toBeLessThanOrEqual(full);
  });
});
