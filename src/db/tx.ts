import { is } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Db } from './types.js';

/**
 * Run fn in a transaction, reusing the caller's when db already is one. Inside fn use only `tx`:
 * on the embedded PGlite a query on the root db while a transaction is open waits forever.
 */
export async function withTx<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (is(db, PgTransaction)) return fn(db);
  return db.transaction((tx) => fn(tx as unknown as Db));
}
