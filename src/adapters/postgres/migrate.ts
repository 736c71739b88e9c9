import { fileURLToPath } from 'node:url';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { DbHandle } from './client.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations', import.meta.url));

// Any constant works; it only has to be the same for every berth process sharing the database.
const MIGRATION_LOCK_KEY = 0x62657274; // 'bert'

/**
 * drizzle's migrator takes no lock, so two processes booting at once could both apply a migration.
 * On Postgres: reserve one connection, hold a session advisory lock on it and migrate on that same
 * connection. PGlite is a single connection owned by this process, so it needs no lock.
 */
export async function runMigrations(handle: DbHandle, folder = MIGRATIONS_FOLDER): Promise<void> {
  if (handle.kind === 'pglite') {
    await migratePglite(drizzlePglite(handle.pglite!), { migrationsFolder: folder });
    return;
  }
  const reserved = await handle.sql!.reserve();
  try {
    await reserved`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migratePostgres(drizzlePostgres(reserved), { migrationsFolder: folder });
    } finally {
      await reserved`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    reserved.release();
  }
}
