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
 * The postgres.js client drizzle is given, with its statements prepared (ClientTuning.prepare), in
 * transactions too. Everything else is the original client's: transactions stay postgres.js's own begin,
 * which survives a connection lost mid-transaction (a hand-rolled BEGIN on a reserved connection was
 * tried to save a round trip: postgres.js 3.4 crashes the process when a reserved connection's socket is
 * gone, see test/integration/postgres-client.test.ts).
 */
export function tuneClient(sql: postgres.Sql, tuning: ClientTuning): postgres.Sql {
  if (!tuning.prepare) return sql;
  return preparingProxy(sql);
}

function preparingProxy<T extends postgres.Sql | postgres.TransactionSql>(sql: T): T {
  const unsafe = sql.unsafe.bind(sql);
  const prepared = ((query: string, args?: never, options?: postgres.UnsafeQueryOptions) => unsafe(query, args, { ...options, prepare: true })) as Unsafe;
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') return prepared;
      // drizzle runs a transaction's statements on the Sql postgres.js hands to the callback: prepare those too.
      if (prop === 'begin' || prop === 'savepoint')
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
          return (Reflect.get(target, prop, receiver) as (...a: unknown[]) => unknown).call(target, ...args, (tx: postgres.TransactionSql) =>
            fn(preparingProxy(tx)),
          );
        };
      return Reflect.get(target, prop, receiver);
    },
  });
}
