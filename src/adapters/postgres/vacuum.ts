import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/rows.js';
import type { DbHandle } from './client.js';

/** berth's tables that churn: every create, transition, delete, mount and delivery writes or deletes rows. */
export const CHURNED_TABLES = ['mount_refs', 'mounts', 'sandbox_volumes', 'sandboxes', 'events', 'webhook_deliveries', 'webhook_attempts'] as const;

type Handle = Pick<DbHandle, 'db' | 'kind'>;

/**
 * Whether berth has to vacuum its own tables. The embedded PGlite is one process with no background
 * workers, so no autovacuum ever runs there; a Postgres server may run with autovacuum off (this project's
 * CI machine does). Without vacuuming, dead rows and index entries are never reclaimed and statistics never
 * refresh, so plans drift: a churned mount_refs whose statistics still said "empty" turned the ledger's
 * index probe into a sequential scan over every dead reference.
 */
export async function needsOwnVacuum(handle: Handle): Promise<boolean> {
  if (handle.kind === 'pglite') return true;
  const [row] = rowsOf<{ setting: string }>(await handle.db.execute(sql`select current_setting('autovacuum') as setting`));
  return row?.setting !== 'on';
}

/**
 * VACUUM (ANALYZE) each churned table, one statement each (VACUUM cannot run inside a transaction).
 * SKIP_LOCKED: a second berth process, or an operator's VACUUM, already on a table means it is being done.
 * On PGlite it holds the single connection for the few milliseconds each small table takes.
 */
export async function vacuumOnce(handle: Handle): Promise<void> {
  for (const table of CHURNED_TABLES) await handle.db.execute(sql.raw(`vacuum (analyze, skip_locked) ${table}`));
}
