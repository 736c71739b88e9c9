// The database layer: the schema every layer speaks, the Db type, transactions and the lock-key registry.
// Drivers (postgres.js, PGlite) and migrations live in src/adapters/postgres.
export type { Db } from './types.js';
export { withTx } from './tx.js';
export { rowsOf } from './rows.js';
export { LOCK_KEYS } from './locks.js';
