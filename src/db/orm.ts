import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from '../entities/index.js';
import { migrationsList } from '../../migrations/index.js';
import { releaseIdleAsyncContexts } from './async-context.js';

export interface OrmOptions {
  url: string;
  poolMax: number;
  debug?: boolean;
}

export async function initOrm({ url, poolMax }: OrmOptions): Promise<MikroORM> {
  // The ORM's transactions would otherwise leave async hooks on for every later request.
  releaseIdleAsyncContexts();
  return MikroORM.init({
    clientUrl: url,
    entities,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    allowGlobalContext: false,
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 30_000 },
    driverOptions: { connection: { statement_timeout: 30_000, connectionTimeoutMillis: 5_000 } },
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
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

/** Applies every pending migration; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
