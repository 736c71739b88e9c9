import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { LOCK_KEYS } from '../../db/locks.js';
import { CONNECT_TIMEOUT_SECONDS, type DbHandle } from './client.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations', import.meta.url));

/**
 * drizzle's migrator takes no lock, so two processes booting at once could both apply a migration.
 * On Postgres: a dedicated single-connection client holds a session advisory lock and runs the
 * migrator on that same connection (max: 1 guarantees it). PGlite is one connection owned by this
 * process, so it needs no lock.
 */
export async function runMigrations(handle: DbHandle, folder = MIGRATIONS_FOLDER): Promise<void> {
  if (handle.kind === 'pglite') {
    await migratePglite(drizzlePglite(handle.pglite!), { migrationsFolder: folder });
    return;
  }
  const single = postgres(handle.url!, { max: 1, onnotice: () => {}, connect_timeout: CONNECT_TIMEOUT_SECONDS });
  try {
    await single`select pg_advisory_lock(${LOCK_KEYS.migration})`;
    await migratePostgres(drizzlePostgres(single), { migrationsFolder: folder });
  } finally {
    // Ending the session releases the lock even if the unlock is never sent.
    await single.end({ timeout: 5 });
  }
}
