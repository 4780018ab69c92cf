import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { EmbeddedPostgres } from './embedded.js';
import { initOrm, migrate } from './orm.js';
import { prepareVectorColumn } from './vector.js';

export interface Database {
  orm: MikroORM;
  url: string;
  /** Set when the database runs in this process (PGlite). */
  embedded?: EmbeddedPostgres;
  /**
   * Each connection is a PostgreSQL session of its own, so named prepared statements and pipelined
   * messages are safe. Not on the embedded database: its connections share one PGlite session, where
   * a name prepared by one connection clashes with the next's, and its socket server keeps one
   * connection's messages together only once a transaction is reported open.
   */
  sessionPerConnection: boolean;
  /** pgvector is present and `memories.embedding` has the model's dimension (never with EMBEDDINGS=off): semantic recall is possible. */
  vectorSearch: boolean;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Apply pending migrations before returning (the server does; `npm run migrate` does only that). */
  migrate?: boolean;
  snapshot?: Blob;
  /** The embedded database, already starting (src/main.ts starts it while the server loads). */
  embedded?: Promise<EmbeddedPostgres>;
  /** When that start began, for the log line. */
  embeddedStartedAt?: number;
}

export async function openDatabase(config: Config, logger: Logger, options: OpenDatabaseOptions = {}): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.databaseUrl;
  if (!url) {
    const started = options.embeddedStartedAt ?? Date.now();
    // PGlite is loaded only by deployments without DATABASE_URL.
    const running = await (options.embedded ?? import('./embedded.js').then(({ startEmbeddedPostgres }) => startEmbeddedPostgres(config.embeddedDbDir, { snapshot: options.snapshot })));
    embedded = running;
    url = running.url;
    logger.info({ dir: config.embeddedDbDir, ms: Date.now() - started }, 'embedded PostgreSQL started');
  }
  let orm: MikroORM | undefined;
  let vectorSearch: boolean;
  try {
    orm = await initOrm({ url, poolMax: embedded ? 5 : config.databasePoolMax });
    if (options.migrate) {
      const applied = await migrate(orm);
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    }
    vectorSearch = config.vectorDim !== null && (await prepareVectorColumn(orm.em.fork(), config.vectorDim, logger));
  } catch (err) {
    await orm?.close(true);
    await embedded?.stop();
    throw err;
  }
  const ready = orm;
  return {
    orm: ready,
    url,
    embedded,
    sessionPerConnection: !embedded,
    vectorSearch,
    async close() {
      await ready.close(true);
      await embedded?.stop();
    },
  };
}
