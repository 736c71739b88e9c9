import type postgres from 'postgres';

type Body<T> = (tx: postgres.TransactionSql) => T | Promise<T>;
type Query = postgres.PendingQuery<postgres.Row[]>;

/**
 * sql.begin without its own round trip. postgres.js sends BEGIN and waits for its answer before the body's
 * first statement; here BEGIN goes out in one batch with that statement (one Sync for both), so a short
 * transaction costs one round trip less: the mount ledger's acquire is BEGIN + one statement + COMMIT, and
 * on a 2-core host every round trip is a syscall and a wake-up on each side (bench/mounts.ts).
 *
 * The batch keeps it exact: if BEGIN fails, the server skips the statement sent with it (nothing runs
 * outside the transaction), and both reject. The rest is postgres.js's own transaction semantics, on a
 * reserved connection (on which postgres.js allows a transaction): a body that throws is rolled back; a
 * statement that failed inside the body, even one whose error the body swallowed, fails the transaction
 * with that error instead of committing; nested begin/savepoint are savepoints with the same rules; a query
 * after the end is refused (UNSAFE_TRANSACTION); a connection released mid-transaction (a lost ROLLBACK) is
 * closed by the pool, never reused. A transaction whose body sent nothing sends nothing at all.
 */
export async function pipelinedBegin<T>(root: postgres.Sql, fn: Body<T>, options: { prepare: boolean; mode?: string }): Promise<T> {
  const conn = await root.reserve();
  const mode = (options.mode ?? '').replace(/[^a-z ]/gi, '');
  let begun = false;
  let ended = false;
  let savepoints = 0;

  /** Every statement of the transaction goes through here, first of all the one that carries BEGIN. */
  const send = (q: Query, scope: Scope): Query => {
    if (ended) return refuse(q, Object.assign(new Error('The transaction has ended'), { code: 'UNSAFE_TRANSACTION' }));
    if (!begun) {
      begun = true;
      // batch marks q as executed, so drizzle's await does not send it a second time.
      // BEGIN is prepared like every statement (ClientTuning.prepare): not parsed again per transaction.
      void conn.batch([conn.unsafe(`begin ${mode}`, [], { simple: false, prepare: options.prepare }), q]).catch(() => {});
    }
    q.catch((e: unknown) => {
      scope.failed ??= e;
    });
    return q;
  };

  type Scope = { failed: unknown };
  const handle = (scope: Scope): postgres.TransactionSql =>
    new Proxy(conn, {
      // tx`...` makes a query; tx('name') and tx(object) make identifiers and helpers, which are not sent.
      apply: (target, self, args: unknown[]) => {
        const made = Reflect.apply(target, self, args) as unknown;
        return Array.isArray((args[0] as { raw?: unknown } | undefined)?.raw) ? send(made as Query, scope) : made;
      },
      get(target, prop, receiver) {
        if (prop === 'unsafe')
          return (text: string, args?: never, opts?: postgres.UnsafeQueryOptions) =>
            send(target.unsafe(text, args, { ...opts, ...(options.prepare ? { prepare: true } : {}) }) as Query, scope);
        if (prop === 'savepoint' || prop === 'begin') return (...a: unknown[]) => savepoint(a.pop() as Body<unknown>);
        return Reflect.get(target, prop, receiver);
      },
    }) as unknown as postgres.TransactionSql;

  const control = (text: string, scope: Scope) => send(conn.unsafe(text, [], { simple: false }), scope);

  async function savepoint(body: Body<unknown>): Promise<unknown> {
    const name = `s${savepoints++}`;
    const outer: Scope = { failed: undefined };
    await control(`savepoint ${name}`, outer);
    const inner: Scope = { failed: undefined };
    try {
      const result = await body(handle(inner));
      if (inner.failed) throw inner.failed;
      return result;
    } catch (err) {
      await control(`rollback to ${name}`, outer);
      throw err;
    }
  }

  const scope: Scope = { failed: undefined };
  try {
    const result = await fn(handle(scope));
    if (scope.failed) throw scope.failed;
    ended = true;
    if (!begun) return result;
    const done = (await conn.unsafe('commit')) as unknown as { command: string };
    if (done.command !== 'COMMIT')
      throw Object.assign(new Error('The server rolled back the transaction instead of committing it'), { code: 'TRANSACTION_ROLLED_BACK' });
    return result;
  } catch (err) {
    const rollback = begun && !ended;
    ended = true;
    if (rollback) await conn.unsafe('rollback').catch(() => {});
    throw err;
  } finally {
    conn.release();
  }
}

/** A query that must not be sent: settled as failed without ever reaching the connection. */
function refuse(q: Query, err: Error): Query {
  const raw = q as unknown as { executed: boolean; reject: (e: unknown) => void };
  raw.executed = true;
  raw.reject(err);
  return q;
}
