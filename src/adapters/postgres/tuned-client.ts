import type postgres from 'postgres';

export type ClientTuning = {
  /**
   * Name every statement so the server parses and plans each distinct text once per connection. drizzle
   * sends them unnamed, which costs the server a parse and plan on every call; berth's statements are a
   * small fixed set, so the cache stays small. Turn off behind a pooler that cannot carry prepared
   * statements across server connections (PgBouncer in transaction mode before 1.21).
   */
  prepare: boolean;
};

type Unsafe = postgres.Sql['unsafe'];

/**
 * The postgres.js client drizzle is given, with two changes that cut a round trip and a parse from the
 * ledger's hot path and from every other transaction:
 *  - statements are prepared (see ClientTuning.prepare);
 *  - a transaction sends BEGIN without waiting for its answer, so BEGIN and the first statement travel
 *    together on the reserved connection (postgres.js awaits BEGIN alone first). COMMIT is still awaited:
 *    the caller only hears "done" once the commit is durable.
 * Everything else (options, parsers drizzle installs, end, reserve) is the original client's.
 */
export function tuneClient(sql: postgres.Sql, tuning: ClientTuning): postgres.Sql {
  const unsafe = preparing(sql.unsafe.bind(sql), tuning.prepare);
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') return unsafe;
      if (prop === 'begin') return (fnOrOptions: unknown, maybeFn?: unknown) => begin(target, tuning, (maybeFn ?? fnOrOptions) as TxBody);
      return Reflect.get(target, prop, receiver);
    },
  });
}

type TxBody = (tx: postgres.TransactionSql) => Promise<unknown>;

function preparing(unsafe: Unsafe, prepare: boolean): Unsafe {
  if (!prepare) return unsafe;
  return ((query: string, args?: never, options?: postgres.UnsafeQueryOptions) => unsafe(query, args, { ...options, prepare: true })) as Unsafe;
}

async function begin(sql: postgres.Sql, tuning: ClientTuning, body: TxBody): Promise<unknown> {
  const conn = await sql.reserve();
  let savepoints = 0;
  const unsafe = preparing(conn.unsafe.bind(conn), tuning.prepare);
  const tx = new Proxy(conn, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') return unsafe;
      if (prop === 'savepoint') return savepoint;
      return Reflect.get(target, prop, receiver);
    },
  }) as unknown as postgres.TransactionSql;

  async function savepoint(fnOrName: unknown, maybeFn?: unknown): Promise<unknown> {
    const fn = (maybeFn ?? fnOrName) as TxBody;
    const name = `s${++savepoints}`;
    await conn.unsafe(`savepoint ${name}`);
    try {
      const result = await fn(tx);
      await conn.unsafe(`release savepoint ${name}`);
      return result;
    } catch (err) {
      await conn.unsafe(`rollback to savepoint ${name}`);
      throw err;
    }
  }

  try {
    // Not awaited here: it goes out now and its answer is read before the first statement's. If it failed
    // (a broken connection), that statement fails too; awaiting it below surfaces the cause.
    const started = conn.unsafe('begin').execute();
    started.catch(() => {});
    const result = await body(tx);
    await started;
    const committed = await conn.unsafe('commit');
    // A transaction that hit an error the body swallowed ends in ROLLBACK without an error of its own.
    if (committed.command !== 'COMMIT') throw new Error(`transaction ended in ${committed.command}, not COMMIT`);
    return result;
  } catch (err) {
    await conn.unsafe('rollback').catch(() => {});
    throw err;
  } finally {
    conn.release();
  }
}
