import type postgres from 'postgres';
import { pipelinedBegin } from './pipelined-transaction.js';

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
 * The postgres.js client drizzle is given: its statements prepared (ClientTuning.prepare), and its
 * transactions begun without a round trip of their own (pipelined-transaction.ts: BEGIN travels in one
 * batch with the first statement). drizzle runs a transaction's statements on the Sql its `begin`
 * callback gets, so both apply inside transactions too. Everything else is the original client's.
 */
export function tuneClient(sql: postgres.Sql, tuning: ClientTuning): postgres.Sql {
  const unsafe = sql.unsafe.bind(sql);
  const prepared = ((query: string, args?: never, options?: postgres.UnsafeQueryOptions) => unsafe(query, args, { ...options, prepare: true })) as Unsafe;
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'unsafe' && tuning.prepare) return prepared;
      if (prop === 'begin')
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
          return pipelinedBegin(target, fn, { prepare: tuning.prepare, mode: args[0] as string | undefined });
        };
      return Reflect.get(target, prop, receiver);
    },
  });
}
