import { MikroORM } from '@mikro-orm/postgresql';
import { entities } from '../entities/index.js';
import { loadMigrations, migrationNames } from '../../migrations/index.js';
import type pg from 'pg';
import { releaseIdleAsyncContexts } from './async-context.js';
import { VECTOR_SESSION_SETTINGS_SQL } from './vector.js';

export interface OrmOptions {
  url: string;
  poolMax: number;
  debug?: boolean;
}

const MIGRATIONS_TABLE = 'mikro_orm_migrations';

export async function initOrm({ url, poolMax }: OrmOptions): Promise<MikroORM> {
  // The ORM's transactions would otherwise leave async hooks on for every later request.
  releaseIdleAsyncContexts();
  return MikroORM.init({
    clientUrl: url,
    entities,
    // The Migrator extension is registered by migrate() only when a migration is pending.
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    allowGlobalContext: false,
    pool: {
      min: 0,
      max: poolMax,
      idleTimeoutMillis: 30_000,
      afterCreate: (connection: pg.Client, done: (err: Error | undefined, connection: pg.Client) => void) => {
        connection.query(VECTOR_SESSION_SETTINGS_SQL).then(
          () => done(undefined, connection),
          (err: Error) => done(err, connection),
        );
      },
    },
    driverOptions: { connection: { statement_timeout: 30_000, connectionTimeoutMillis: 5_000 } },
    migrations: {
      tableName: MIGRATIONS_TABLE,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    // The ORM's own logger is silent; the app logs what an operator needs.
    debug: false,
    ensureDatabase: false,
  });
}

/** Every listed migration is recorded as executed (one query; false when the table is missing). */
async function upToDate(orm: MikroORM): Promise<boolean> {
  try {
    const rows = await orm.em.fork().getConnection().execute<{ name: string }[]>(`select name from ${MIGRATIONS_TABLE}`);
    const executed = new Set(rows.map((row) => row.name));
    return migrationNames.every((name) => executed.has(name));
  } catch {
    return false;
  }
}

/**
 * Applies every pending migration; returns the names applied. An up-to-date database costs one
 * query: @mikro-orm/migrations (umzug and its CLI) and the migration classes load only when needed.
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  if (await upToDate(orm)) return [];
  const [{ Migrator }, migrationsList] = await Promise.all([import('@mikro-orm/migrations'), loadMigrations()]);
  orm.config.set('migrations', { ...orm.config.get('migrations'), migrationsList });
  Migrator.register(orm);
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
