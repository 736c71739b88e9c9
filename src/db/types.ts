import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema/index.js';

/** One type for the postgres.js pool, PGlite and a transaction: the domain takes this. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
