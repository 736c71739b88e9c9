import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from '../../db/schema/index.js';
import { startEmbeddedServer } from './embedded-server.js';
import { tuneClient } from './tuned-client.js';

const execFileAsync = promisify(execFile);
const INITDB_SCRIPT = fileURLToPath(new URL('./pglite-initdb.mjs', import.meta.url));

import type { Db } from '../../db/types.js';

export type { Db };

export type DbHandle = {
  db: Db;
  kind: 'postgres' | 'pglite';
  close: () => Promise<void>;
  /** postgres.js client and URL (kind 'postgres' only) */
  sql?: postgres.Sql;
  url?: string;
  pglite?: PGlite;
};

export type OpenDbOptions = {
  databaseUrl?: string;
  dataDir?: string;
  poolSize?: number;
  prepare?: boolean;
  /** the embedded database when no databaseUrl: unset = Postgres, unless the folder already holds a PGlite cluster */
  embedded?: 'postgres' | 'pglite';
};

/**
 * Sent with every connection's start-up. JIT off: berth's statements are short index lookups, and JIT only
 * triggers when stale statistics inflate a plan's cost (a churned mount_refs before autovacuum has run),
 * where compiling per execution turned a 0.05 ms release into 20 ms and the ledger from ~1,000 pairs/s to
 * ~140. application_name: operators find berth's sessions in pg_stat_activity.
 */
const SESSION_SETTINGS = { jit: 'off', application_name: 'berth' } as const;

/**
 * Seconds a new connection may take. postgres.js waits 30 s by default, so during an outage every request
 * would hang that long; 2 s answers 503 DATABASE::UNAVAILABLE promptly (a refused connect fails at once anyway).
 */
export const CONNECT_TIMEOUT_SECONDS = 2;

/**
 * A real Postgres server when DATABASE_URL is set, else the embedded default: a Postgres child process in
 * <dataDir>/postgres (embedded-server.ts), or PGlite in <dataDir>/pgdata when asked for or when the folder
 * already holds a PGlite cluster (made before Postgres became the default; its data stays where it is).
 * dataDir 'memory://' gives an in-memory PGlite (tests).
 */
export async function openDb(opts: OpenDbOptions): Promise<DbHandle> {
  if (opts.databaseUrl) {
    const sql = postgres(opts.databaseUrl, {
      max: opts.poolSize ?? 10,
      onnotice: () => {},
      connection: SESSION_SETTINGS,
      connect_timeout: CONNECT_TIMEOUT_SECONDS,
    });
    const db = drizzlePostgres(tuneClient(sql, { prepare: opts.prepare ?? true }), { schema }) as unknown as Db;
    return { db, kind: 'postgres', sql, url: opts.databaseUrl, close: () => sql.end({ timeout: 5 }) };
  }
  const dataDir = opts.dataDir ?? '.berth-data';
  if (!dataDir.startsWith('memory://') && (opts.embedded ?? (existsSync(`${dataDir}/pgdata/PG_VERSION`) ? 'pglite' : 'postgres')) === 'postgres') {
    const server = await startEmbeddedServer(dataDir);
    const handle = await openDb({ ...opts, databaseUrl: server.url }).catch((err) => server.stop().then(() => Promise.reject(err)));
    return { ...handle, close: () => handle.close().finally(server.stop) };
  }
  let pglite: PGlite;
  if (dataDir.startsWith('memory://')) {
    pglite = await PGlite.create();
  } else {
    mkdirSync(dataDir, { recursive: true });
    const path = `${dataDir}/pgdata`;
    if (!existsSync(`${path}/PG_VERSION`)) {
      // initdb grows PGlite's WASM heap, which never shrinks: run it in a short-lived child process so the
      // server only ever holds the (much smaller) heap of an existing cluster.
      await execFileAsync(process.execPath, [INITDB_SCRIPT, path]);
    }
    pglite = await PGlite.create(path);
  }
  const db = drizzlePglite(pglite, { schema }) as unknown as Db;
  return { db, kind: 'pglite', pglite, close: () => pglite.close() };
}
