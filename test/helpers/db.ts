import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDb, type DbHandle } from '../../src/adapters/postgres/client.js';
import { runMigrations } from '../../src/adapters/postgres/migrate.js';

/**
 * The Postgres the tests use (scripts/setup.sh creates it). Every test file gets its own fresh database,
 * so files, tiers and developers running tests at the same time never see each other's rows.
 */
export const TEST_DATABASE_URL = process.env.DATABASE_URL_TEST ?? 'postgres://berth:berth@127.0.0.1:5432/berth_test';

export type TestDb = { handle: DbHandle; url: string; drop: () => Promise<void> };

export async function createPostgresTestDb(opts: { migrate?: boolean; poolSize?: number } = {}): Promise<TestDb> {
  const name = `berth_t_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = TEST_DATABASE_URL.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
  const handle = await openDb({ databaseUrl: url, poolSize: opts.poolSize ?? 10 });
  if (opts.migrate !== false) await runMigrations(handle);
  return {
    handle,
    url,
    drop: async () => {
      await handle.close().catch(() => {});
      const a = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await a.end();
    },
  };
}

/** A second pool on another file's database, as a second berth process has; closing it drops nothing. */
export async function reopenPostgresTestDb(url: string): Promise<TestDb> {
  const handle = await openDb({ databaseUrl: url, poolSize: 10 });
  return { handle, url, drop: () => handle.close() };
}

export async function createPgliteTestDb(opts: { migrate?: boolean } = {}): Promise<TestDb> {
  const handle = await openDb({ dataDir: 'memory://' });
  if (opts.migrate !== false) await runMigrations(handle);
  return { handle, url: 'memory://', drop: () => handle.close() };
}
