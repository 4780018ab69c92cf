import { beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, type Sql } from '../../src/db/sql.js';
import { useTestServer } from '../support/server.js';

/**
 * `inTransaction` (the webhook ingest's transactions on `pg` directly): on a PostgreSQL server BEGIN
 * travels in one write with the first statement and COMMIT with the `queryLast` one, on the embedded
 * database each is a statement of its own. Either way: all or nothing, each statement's rows as
 * answered, and a connection that is fit for the next transaction after any failure.
 */
describe('inTransaction', () => {
  const ctx = useTestServer();
  const transaction = <T>(work: (sql: Sql) => Promise<T>) =>
    inTransaction(ctx.server.rt.forkEm(), { sessionPerConnection: ctx.server.rt.db.sessionPerConnection }, work);
  const counter = async (name: string) => (await ctx.server.sql<{ n: number }>(`select n from tx_counters where name = ?`, [name]))[0]?.n;

  beforeAll(async () => {
    await ctx.server.sql(`create table tx_counters (name text primary key, n int not null check (n < 100))`);
  });

  it('answers the first statement with its own rows and commits every statement', async () => {
    const rows = await transaction(async (sql) => {
      const first = await sql.query<{ name: string; n: number }>(`insert into tx_counters (name, n) values (?, ?) returning name, n`, ['a', 1]);
      await sql.query(`update tx_counters set n = n + 1 where name = ?`, ['a']);
      return first;
    });
    expect(rows).toEqual([{ name: 'a', n: 1 }]);
    expect(await counter('a')).toBe(2);
  });

  it('a failing first statement: nothing written, and the connections serve the next transactions', async () => {
    await expect(transaction((sql) => sql.query(`insert into tx_counters (name, n) values (?, ?)`, ['b', 500]))).rejects.toThrow(/check constraint/);
    await expect(
      transaction(async (sql) => {
        await sql.query(`insert into tx_counters (name, n) values (?, ?)`, ['b', 1]);
        await sql.query(`insert into tx_counters (name, n) values (?, ?)`, ['b', 2]);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await counter('b')).toBeUndefined();
    // More transactions than the pool has connections: every connection that failed above is reused.
    await Promise.all(Array.from({ length: 12 }, (_, i) => transaction((sql) => sql.query(`insert into tx_counters (name, n) values (?, 0)`, [`b${i}`]))));
    expect(Number((await ctx.server.sql<{ c: string }>(`select count(*) as c from tx_counters where name like 'b%'`))[0]!.c)).toBe(12);
  });

  it('rolls back the first statement when the work throws after it', async () => {
    await expect(
      transaction(async (sql) => {
        await sql.query(`insert into tx_counters (name, n) values (?, ?)`, ['c', 1]);
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(await counter('c')).toBeUndefined();
  });

  it('queryLast answers its rows once committed: a reader sees them as soon as the transaction returns', async () => {
    const rows = await transaction(async (sql) => {
      await sql.query(`insert into tx_counters (name, n) values (?, ?)`, ['e', 1]);
      return sql.queryLast<{ n: number }>(`update tx_counters set n = n + 1 where name = ? returning n`, ['e']);
    });
    expect(rows).toEqual([{ n: 2 }]);
    expect(await counter('e')).toBe(2);
    // A transaction of one statement: BEGIN, the statement and COMMIT in one round trip on a server.
    expect(await transaction((sql) => sql.queryLast<{ n: number }>(`insert into tx_counters (name, n) values (?, ?) returning n`, ['e1', 7]))).toEqual([{ n: 7 }]);
    expect(await counter('e1')).toBe(7);
  });

  it('a failing last statement commits nothing before it, and the connections serve the next transactions', async () => {
    await expect(
      transaction(async (sql) => {
        await sql.query(`insert into tx_counters (name, n) values (?, ?)`, ['f', 1]);
        await sql.queryLast(`update tx_counters set n = 500 where name = ?`, ['f']);
      }),
    ).rejects.toThrow(/check constraint/);
    expect(await counter('f')).toBeUndefined();
    await expect(transaction((sql) => sql.queryLast(`insert into tx_counters (name, n) values (?, ?)`, ['f', 500]))).rejects.toThrow(/check constraint/);
    await Promise.all(Array.from({ length: 12 }, (_, i) => transaction((sql) => sql.queryLast(`insert into tx_counters (name, n) values (?, 0)`, [`f${i}`]))));
    expect(Number((await ctx.server.sql<{ c: string }>(`select count(*) as c from tx_counters where name like 'f%'`))[0]!.c)).toBe(12);
  });

  it('refuses a statement after the last one', async () => {
    await expect(
      transaction(async (sql) => {
        await sql.queryLast(`insert into tx_counters (name, n) values (?, ?)`, ['g', 1]);
        await sql.query(`update tx_counters set n = 2 where name = ?`, ['g']);
      }),
    ).rejects.toThrow(/after the last one/);
    // What ran before the refused statement stands as committed: it was the transaction's end.
    expect(await counter('g')).toBe(ctx.server.rt.db.sessionPerConnection ? 1 : undefined);
  });

  it('holds the first statement’s row lock to the end: 40 concurrent read-then-write increments lose none', async () => {
    await ctx.server.sql(`insert into tx_counters (name, n) values ('d', 0)`);
    await Promise.all(
      Array.from({ length: 40 }, () =>
        transaction(async (sql) => {
          const [row] = await sql.query<{ n: number }>(`select n from tx_counters where name = ? for update`, ['d']);
          await sql.queryLast(`update tx_counters set n = ? where name = ?`, [row!.n + 1, 'd']);
        }),
      ),
    );
    expect(await counter('d')).toBe(40);
  });
});
