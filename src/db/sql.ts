import { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';

/**
 * Plain SQL inside a transaction, for the services that write with raw statements (the subscription
 * state machine, the webhook ledger). Either an EntityManager inside `em.transactional()` (the
 * callers that also use the ORM) or `inTransaction()`: a connection of the same pool driven
 * directly through `pg`, for the webhook ingest path. There each statement is one round trip, and
 * MikroORM/knex cost about 0.25 ms of CPU per statement (formatting the values into the text, its
 * runner, the transaction bookkeeping) against ~0.05 ms for `pg` alone with bound parameters.
 */

export type Row = Record<string, unknown>;

/** A statement with `?` placeholders and its values, in order. */
export interface Statement {
  sql: string;
  params: unknown[];
}

export interface Sql {
  /** Runs one statement (`?` placeholders); its rows. */
  query<T extends object = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Runs the transaction's last statement: nothing may run after it. `inTransaction` on a PostgreSQL
   * server sends COMMIT with it and answers its rows once committed; elsewhere the transaction's
   * owner commits after it as usual.
   */
  queryLast<T extends object = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** Runs one `Statement`; its rows. */
export const run = <T extends object = Row>(sql: Sql, statement: Statement): Promise<T[]> => sql.query<T>(statement.sql, statement.params);

/** What the state machine accepts: the caller's transaction either way. */
export type SqlTransaction = EntityManager | Sql;

export function asSql(tx: SqlTransaction): Sql {
  if (!(tx instanceof EntityManager)) return tx;
  const query = <T extends object>(sql: string, params: readonly unknown[] = []) => tx.execute<T[]>(sql, [...params]);
  return { query, queryLast: query };
}

interface QueryConfig {
  name?: string;
  text: string;
  values?: unknown[];
}

/** The minimal `pg` client surface used here: a query config answers a promise, a query object itself. */
interface PgClient {
  query(config: string | QueryConfig): Promise<{ rows: unknown[] }>;
  query<Q extends PipelinedQuery>(query: Q): Q;
}

/** The protocol messages of pg's connection that PipelinedQuery sends itself. */
interface PgConnection {
  parse(query: { text: string; name: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: unknown[] }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
}

/** pg's own query class: extended protocol, results accumulated per statement. */
const PgQuery = pg.Query as unknown as new (config: QueryConfig & { queryMode: 'extended'; callback(err: Error | null, results: { rows: unknown[] }[]): void }) => {
  prepare(connection: PgConnection): void;
};

/** Parse, Bind and Execute of a statement without parameters (BEGIN, COMMIT), unnamed. */
function sendCommand(connection: PgConnection, text: string): void {
  connection.parse({ text, name: '', types: [] });
  connection.bind({ portal: '', statement: '', values: [] });
  connection.execute({ portal: '', rows: 0 });
}

/**
 * A statement with BEGIN ahead of it and/or COMMIT after it, in the same socket write and under the
 * same Sync, so opening or closing the transaction costs no round trip of its own: on this VM a
 * write that wakes PostgreSQL costs the server ~100 µs of CPU, and an event's transaction made four
 * (BEGIN, two statements, COMMIT). An error in any of them skips the rest up to the Sync, as for a
 * lone statement (a failed statement is never committed); the caller rolls back. Resolves with the
 * statement's rows, once the whole pipeline has been answered.
 * pg records a named statement as parsed at the first ParseComplete, here possibly the BEGIN's; that
 * is right as long as the statement itself parses, which our fixed templates do.
 */
class PipelinedQuery extends PgQuery {
  // Not `rows`: pg's Query reads that as a portal's row limit.
  readonly statementRows: Promise<unknown[]>;

  constructor(
    config: QueryConfig,
    private readonly around: { begin: boolean; commit: boolean },
  ) {
    let settle!: (err: Error | null, results: { rows: unknown[] }[]) => void;
    const rows = new Promise<unknown[]>((resolve, reject) => {
      settle = (err, results) => (err ? reject(err) : resolve(results[around.begin ? 1 : 0]!.rows));
    });
    super({ ...config, queryMode: 'extended', callback: (err, results) => settle(err, results) });
    this.statementRows = rows;
  }

  override prepare(connection: PgConnection): void {
    if (this.around.begin) sendCommand(connection, 'begin');
    if (!this.around.commit) return super.prepare(connection);
    // pg's prepare ends the statement's messages with Sync: COMMIT goes in just before it, through
    // a view of the connection (all else inherited) so the connection itself is left untouched.
    const commitBeforeSync: PgConnection = Object.create(connection);
    commitBeforeSync.sync = () => {
      sendCommand(connection, 'commit');
      connection.sync();
    };
    super.prepare(commitBeforeSync);
  }
}

export interface TransactionOptions {
  /**
   * `Database.sessionPerConnection`: the statements are then prepared (named, once per connection),
   * BEGIN travels with the first of them and COMMIT with the one run by `queryLast`.
   */
  sessionPerConnection: boolean;
}

/** Beyond this many distinct texts, statements are no longer prepared (ours are a handful of templates). */
const MAX_PREPARED = 100;
const prepared = new Map<string, { name?: string; text: string }>();

/**
 * `?` → `$n`, and a name per distinct text: `pg` prepares a named statement once per connection and
 * then only binds it, which spares PostgreSQL parsing and planning the CTE statements each time
 * (about a third of its CPU per webhook event here). The statements are our own text with no `?`
 * operator (jsonb) in them; values are always bound, never written into the text.
 */
function numbered(sql: string, prepare: boolean): { name?: string; text: string } {
  let found = prepared.get(sql);
  if (!found) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    if (prepared.size >= MAX_PREPARED) return { text };
    found = { name: `stellar_${prepared.size}`, text };
    prepared.set(sql, found);
  }
  return prepare ? found : { text: found.text };
}

/**
 * Runs `work` in a transaction on a connection of the ORM's pool, without the ORM in between:
 * BEGIN, the statements with bound parameters, COMMIT (ROLLBACK when `work` throws). On a PostgreSQL
 * server BEGIN is sent with the first statement and COMMIT with the `queryLast` one, so a transaction
 * of two statements is two round trips. Same pool, same connection settings (statement timeout, type
 * parsers) as `em.execute`. A `work` that runs no statement opens no transaction.
 */
export async function inTransaction<T>(em: EntityManager, options: TransactionOptions, work: (sql: Sql) => Promise<T>): Promise<T> {
  const client = em.getKnex().client;
  const connection = (await client.acquireConnection()) as PgClient;
  // none → open → ended by `queryLast`: committed with it on a server, COMMIT still to send on the
  // embedded database. Typed with `as`: set inside `run`, read after `work`, not narrowed to 'none'.
  let state = 'none' as 'none' | 'open' | 'last' | 'committed';
  const run = async <R extends object>(text: string, params: readonly unknown[], last: boolean): Promise<R[]> => {
    if (state === 'last' || state === 'committed') throw new Error('inTransaction: a statement after the last one');
    const config = { ...numbered(text, options.sessionPerConnection), values: [...params] };
    if (options.sessionPerConnection) {
      const begin = state === 'none';
      state = last ? 'committed' : 'open';
      if (!begin && !last) return (await connection.query(config)).rows as R[];
      return (await connection.query(new PipelinedQuery(config, { begin, commit: last })).statementRows) as R[];
    }
    if (state === 'none') await connection.query('begin');
    state = last ? 'last' : 'open';
    return (await connection.query(config)).rows as R[];
  };
  const sql: Sql = {
    query: (text, params = []) => run(text, params, false),
    queryLast: (text, params = []) => run(text, params, true),
  };
  try {
    const result = await work(sql);
    if (state === 'open' || state === 'last') await connection.query('commit');
    return result;
  } catch (err) {
    // A connection that broke is marked by knex and not handed out again. After a failed COMMIT
    // (or a failed last statement) there may be no transaction left to roll back: harmless.
    if (state !== 'none') await connection.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * Data-modifying statements run as one (each a CTE), in one round trip; the rows of the first.
 * `last`: they are the transaction's last statement (`Sql.queryLast`).
 */
export async function together(sql: Sql, statements: Statement[], { last = false } = {}): Promise<Row[]> {
  const ctes = statements.map((s, i) => `s${i} as (${s.sql})`).join(', ');
  const text = `with ${ctes} select * from s0`;
  const params = statements.flatMap((s) => s.params);
  return last ? sql.queryLast(text, params) : sql.query(text, params);
}
