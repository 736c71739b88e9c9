import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type DbHandle } from '../../src/adapters/postgres/client.js';
import { tuneClient } from '../../src/adapters/postgres/tuned-client.js';
import { rowsOf } from '../../src/domain/volumes/ledger/mount-rows.js';
import { createPostgresTestDb, type TestDb } from '../helpers/db.js';

// The tuned postgres.js client (src/adapters/postgres/tuned-client.ts) sits between drizzle and
// postgres.js, in transactions too, so its transaction semantics are checked here against the real server.
let t: TestDb;
let unprepared: DbHandle;
beforeAll(async () => {
  t = await createPostgresTestDb({ migrate: false, poolSize: 3 });
  unprepared = await openDb({ databaseUrl: t.url, poolSize: 2, prepare: false });
  await t.handle.db.execute(sql`create table tc (id int primary key, note text)`);
});
afterAll(async () => {
  await unprepared.close();
  await t.drop();
});

const ids = async () => rowsOf<{ id: number }>(await t.handle.db.execute(sql`select id from tc order by id`)).map((r) => r.id);

describe('tuned Postgres client: transactions', () => {
  it('commits what the body wrote and returns its result', async () => {
    const out = await t.handle.db.transaction(async (tx) => {
      await tx.execute(sql`insert into tc values (1, 'a')`);
      await tx.execute(sql`insert into tc values (2, 'b')`);
      return 'done';
    });
    expect(out).toBe('done');
    expect(await ids()).toEqual([1, 2]);
  });

  it('rolls back what the first statements wrote when the body fails', async () => {
    await expect(
      t.handle.db.transaction(async (tx) => {
        await tx.execute(sql`insert into tc values (10, 'first')`);
        throw new Error('body failed');
      }),
    ).rejects.toThrow('body failed');
    expect(await ids()).toEqual([1, 2]);
  });

  it('a failed statement whose error the body swallowed does not pass for a commit', async () => {
    await expect(
      t.handle.db.transaction(async (tx) => {
        await tx.execute(sql`insert into tc values (11, 'kept?')`);
        await tx.execute(sql`insert into tc values (1, 'duplicate')`).catch(() => {});
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await ids()).toEqual([1, 2]);
  });

  it('a nested transaction rolls back to its savepoint and the outer one still commits', async () => {
    await t.handle.db.transaction(async (tx) => {
      await tx.execute(sql`insert into tc values (20, 'outer')`);
      await expect(
        tx.transaction(async (inner) => {
          await inner.execute(sql`insert into tc values (21, 'inner')`);
          throw new Error('inner failed');
        }),
      ).rejects.toThrow('inner failed');
      await tx.transaction(async (inner) => {
        await inner.execute(sql`insert into tc values (22, 'inner ok')`);
      });
    });
    expect(await ids()).toEqual([1, 2, 20, 22]);
  });

  it('many more concurrent transactions than connections all commit, and none is left holding one', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.handle.db.transaction(async (tx) => {
          await tx.execute(sql`insert into tc values (${100 + i}, 'c')`);
          await tx.execute(sql`select pg_sleep(0.005)`);
        }),
      ),
    );
    expect((await ids()).filter((id) => id >= 100)).toHaveLength(40);
    // Every connection went back to the pool: a plain query on each of the 3 still answers at once.
    await Promise.all([1, 2, 3].map(() => t.handle.db.execute(sql`select 1`)));
  });
});

describe('tuned Postgres client: BEGIN travels with the first statement', () => {
  // The same tuned client drizzle is given, used directly: it takes a transaction mode, which lets a test
  // make BEGIN itself fail.
  const tuned = () => tuneClient(t.handle.sql!, { prepare: true });

  it('a BEGIN that fails keeps the statement sent with it from running outside a transaction', async () => {
    // An invalid mode is a syntax error in BEGIN alone. Had BEGIN gone out on its own (not in one batch
    // with the insert), the insert would run and autocommit.
    await expect(
      tuned().begin('isolation level nonsense', async (tx) => {
        await tx.unsafe('insert into tc values ($1, $2)', [300, 'outside?']);
      }),
    ).rejects.toThrow();
    expect(await ids()).not.toContain(300);
  });

  it('runs the first statement inside the transaction: a failure later rolls it back', async () => {
    await expect(
      tuned().begin(async (tx) => {
        await tx.unsafe('insert into tc values ($1, $2)', [301, 'first']);
        await tx.unsafe('select 1/0');
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await ids()).not.toContain(301);
  });

  it('refuses a query on the transaction once it has ended, and never sends it', async () => {
    let kept: postgres.TransactionSql | undefined;
    await tuned().begin(async (tx) => {
      kept = tx;
      await tx.unsafe('insert into tc values ($1, $2)', [302, 'in']);
    });
    await expect(kept!.unsafe('insert into tc values ($1, $2)', [303, 'after the end'])).rejects.toMatchObject({ code: 'UNSAFE_TRANSACTION' });
    expect((await ids()).filter((id) => id === 302 || id === 303)).toEqual([302]);
  });

  it('a backend terminated mid-transaction rejects it, commits nothing, and the pool goes on', async () => {
    const admin = t.handle.sql!;
    await expect(
      tuned().begin(async (tx) => {
        await tx.unsafe('insert into tc values ($1, $2)', [304, 'lost']);
        const [me] = (await tx.unsafe('select pg_backend_pid() as pid')) as unknown as { pid: number }[];
        await admin`select pg_terminate_backend(${me!.pid})`;
        await tx.unsafe('select 1 as x');
      }),
    ).rejects.toThrow();
    expect(await ids()).not.toContain(304);
    expect(await tuned().begin((tx) => tx.unsafe('select 2 as x'))).toEqual([{ x: 2 }]);
  });
});

describe("tuned Postgres client: one transaction never commits another's writes", () => {
  // porsager/postgres#1189 and #1204: a transaction's BEGIN on a connection it did not hold, and a connection
  // handed to a second transaction whose COMMIT then committed the first one's unfinished writes. The ledger
  // cannot tolerate either, so: many more transactions than connections, some failing after their writes,
  // some losing their backend mid-way, all at once; after them every committed transaction's rows are
  // exactly its own (one xmin per transaction, and no xmin shared), and nothing of a failed one is left.
  it('60 concurrent transactions over 3 connections, a third of them failing and some backends killed', async () => {
    // its own connection: all three of the pool's are held by transactions waiting on it
    const admin = postgres(t.url, { max: 1, onnotice: () => {} });
    const outcome = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        t.handle.db
          .transaction(async (tx) => {
            await tx.execute(sql`insert into tc values (${1000 + 2 * i}, 'first')`);
            await tx.execute(sql`select pg_sleep(0.002)`);
            if (i % 10 === 7) {
              const [me] = rowsOf<{ pid: number }>(await tx.execute(sql`select pg_backend_pid() as pid`));
              await admin`select pg_terminate_backend(${me!.pid})`;
            }
            await tx.execute(sql`insert into tc values (${1001 + 2 * i}, 'second')`);
            if (i % 3 === 1) throw new Error(`transaction ${i} fails after its writes`);
          })
          .then(
            () => 'committed' as const,
            () => 'failed' as const,
          ),
      ),
    );
    const rows = rowsOf<{ id: number; xmin: string }>(await t.handle.db.execute(sql`select id, xmin::text as xmin from tc where id >= 1000`));
    const byId = new Map(rows.map((r) => [r.id, r.xmin]));
    const xminsSeen = new Set<string>();
    for (const [i, o] of outcome.entries()) {
      const [a, b] = [byId.get(1000 + 2 * i), byId.get(1001 + 2 * i)];
      if (o === 'failed') {
        expect([a, b], `transaction ${i} failed, yet rows of it are there`).toEqual([undefined, undefined]);
        continue;
      }
      expect(a, `transaction ${i}: both rows, one transaction`).toBeDefined();
      expect(b).toBe(a);
      expect(xminsSeen.has(a!), `transaction ${i}'s rows were committed by another transaction`).toBe(false);
      xminsSeen.add(a!);
    }
    // the failures were real: every third threw, and the killed ones failed
    for (const [i, o] of outcome.entries()) if (i % 3 === 1 || i % 10 === 7) expect(o, `transaction ${i}`).toBe('failed');
    expect(outcome.filter((o) => o === 'committed').length).toBeGreaterThan(30);
    // and the pool still serves
    expect(rowsOf(await t.handle.db.execute(sql`select 1 as x`))).toEqual([{ x: 1 }]);
    await admin.end();
  });
});

describe('tuned Postgres client: prepared statements', () => {
  const preparedLike = async (db: DbHandle['db'], marker: string) =>
    db.transaction(async (tx) => {
      // The marker sits in the statement's text (as an alias); a statement with no parameters is sent as a
      // simple query either way, so this one has one.
      await tx.execute(sql`select ${1}::int as ${sql.raw(marker)}`);
      const rows = rowsOf<{ n: number }>(
        await tx.execute(
          sql`select count(*)::int as n from pg_prepared_statements where statement like ${`%${marker}%`} and statement not like '%pg_prepared_statements%'`,
        ),
      );
      return rows[0]!.n;
    });

  it('names the statements it sends, so the server plans each text once per connection', async () => {
    expect(await preparedLike(t.handle.db, 'marker_on')).toBeGreaterThanOrEqual(1);
  });

  it('sends them unnamed with prepare: false (BERTH_DB_PREPARE=false)', async () => {
    expect(await preparedLike(unprepared.db, 'marker_off')).toBe(0);
  });
});
