import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { ConfigError } from '../config.js';

/**
 * The candidates an HNSW scan gathers (`hnsw.ef_search`): a recall's nearest vectors
 * (SEMANTIC_CANDIDATES, src/services/memories/recall.ts, which says how it was chosen).
 */
export const HNSW_EF_SEARCH = 50;

/**
 * How every connection's HNSW scans search, set once per connection (src/db/orm.ts) rather than in a
 * transaction around each recall (three round trips fewer): `ef_search` above, and pgvector 0.8's
 * iterative scan, so that with filters a scan keeps going until it has enough rows that pass them
 * instead of stopping at `ef_search` candidates, most of them someone else's. Only HNSW scans read
 * them. Without pgvector (or before it is loaded) they are placeholders, which pgvector adopts.
 */
export const VECTOR_SESSION_SETTINGS: Readonly<Record<string, string>> = { 'hnsw.iterative_scan': 'relaxed_order', 'hnsw.ef_search': String(HNSW_EF_SEARCH) };

/** VECTOR_SESSION_SETTINGS as one statement, for a connection just opened. */
export const VECTOR_SESSION_SETTINGS_SQL = `select ${Object.entries(VECTOR_SESSION_SETTINGS)
  .map(([name, value]) => `set_config('${name}', '${value}', false)`)
  .join(', ')}`;

/** pgvector's HNSW index takes vectors of at most this many dimensions; larger ones are searched exactly. */
const HNSW_MAX_DIM = 2000;
/** Serializes this setup between instances starting together. */
const SETUP_LOCK = 7_341_002;

/**
 * Semantic recall needs pgvector, which the embedded database has and many PostgreSQL servers do
 * not. When the extension is there (or can be created), `memories.embedding vector(dim)` (the
 * model's dimension: 512 for the built-in model, EMBEDDINGS_DIM for an endpoint), its HNSW index and
 * the index the embedding worker finds unembedded memories with are added if missing; the dimension
 * depends on configuration, so this cannot be a migration. A column of another dimension that holds
 * no vector yet is replaced (a new install switching to the built-in model); one that holds vectors
 * stops the start, as they would be unusable. Returns whether vector search is on.
 */
export async function prepareVectorColumn(em: EntityManager, dim: number, logger: Logger): Promise<boolean> {
  const [installed] = await em.execute(`select 1 from pg_extension where extname = 'vector'`);
  if (!installed) {
    const [available] = await em.execute(`select 1 from pg_available_extensions where name = 'vector'`);
    if (!available) {
      logger.warn('pgvector is not available on this database: recall matches words only (docs/recall.md)');
      return false;
    }
    try {
      await em.execute('create extension if not exists vector');
    } catch (err) {
      logger.warn({ err }, 'pgvector is available but could not be created (ask a superuser to run CREATE EXTENSION vector): recall matches words only');
      return false;
    }
  }
  await em.transactional(async (tx) => {
    await tx.execute(`select pg_advisory_xact_lock(${SETUP_LOCK})`);
    const [column] = await tx.execute<{ dim: number }[]>(
      `select atttypmod as dim from pg_attribute where attrelid = 'memories'::regclass and attname = 'embedding' and not attisdropped`,
    );
    if (column && column.dim !== dim) {
      const [used] = await tx.execute(`select 1 from memories where embedding is not null limit 1`);
      if (used) {
        throw new ConfigError([
          `the embedding model has ${dim} dimensions but the stored embeddings (memories.embedding) have ${column.dim}: use the model that made them (EMBEDDINGS, EMBEDDINGS_DIM=${column.dim}), or drop that column to embed every memory again with the new model`,
        ]);
      }
      logger.info({ from: column.dim, to: dim }, 'the embedding column held no vector: recreated with the model dimension');
      await tx.execute('alter table memories drop column embedding');
    }
    if (!column || column.dim !== dim) await tx.execute(`alter table memories add column embedding vector(${dim})`);
    if (dim <= HNSW_MAX_DIM) {
      await tx.execute(`create index if not exists memories_embedding_idx on memories using hnsw (embedding vector_cosine_ops)`);
    } else {
      logger.warn({ dim }, `embeddings over ${HNSW_MAX_DIM} dimensions cannot be indexed by pgvector: semantic recall scans every candidate`);
    }
    // The embedding worker's backlog, newest first; empty once everything is embedded.
    await tx.execute(`create index if not exists memories_unembedded_idx on memories (created_at desc) where embedding is null`);
  });
  return true;
}
