import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../errors.js';
import type { SemanticSearch } from './embeddings.js';
import * as valid from './memory-input.js';
import { MEMORY_COLUMNS, placeholders, scopeSql, toMemoryView, type MemoryRow, type MemoryView } from './memory-rows.js';
import { orbitSql, RELEVANCE_WEIGHTS, SCORE_WEIGHTS, SEMANTIC_SIMILARITY_FLOOR } from './scoring.js';
import type { UsageMeter } from './usage.js';
import type { Warn } from './warnings.js';

/**
 * Recall (SPEC §7): full-text relevance from PostgreSQL, fused with vector similarity when there is
 * a query vector, blended with the orbit score, and the recall bump of what is returned, all in one
 * statement. Every filter is a predicate of that statement, never a filter applied afterwards.
 */

export const MAX_RECALL_HITS = 50;
export const MAX_QUERY_CHARS = 1_000;
export const DEFAULT_RECALL_HITS = 10;

export interface RecallInput {
  query: string;
  agent?: string | null;
  limit?: number | null;
  tags?: string[] | null;
  metadata?: Record<string, unknown> | null;
  minImportance?: number | null;
  embedding?: number[] | null;
}

export interface RecallHit {
  memory: MemoryView;
  score: number;
  relevance: number;
}

/** Everything the ranking statement needs. */
export interface RecallRequest {
  userId: string;
  query: string;
  agent: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
  minImportance: number | null;
  limit: number;
  /** The query's vector; only with pgvector. */
  embedding: number[] | null;
}

export interface RecallDeps {
  em: EntityManager;
  userId: string;
  usage: UsageMeter;
  semantic: SemanticSearch;
  warn: Warn;
}

export async function recallMemories(deps: RecallDeps, input: RecallInput): Promise<RecallHit[]> {
  const query = input.query.trim();
  if (query.length === 0 || query.length > MAX_QUERY_CHARS) throw badInput('query', `A query is 1 to ${MAX_QUERY_CHARS} characters`);
  const limit = input.limit ?? DEFAULT_RECALL_HITS;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECALL_HITS) throw badInput('limit', `limit must be between 1 and ${MAX_RECALL_HITS}`);
  const request: Omit<RecallRequest, 'embedding'> = {
    userId: deps.userId,
    query,
    agent: input.agent === null || input.agent === undefined ? null : valid.agentName(input.agent, 'agent'),
    tags: valid.tags(input.tags, 'tags'),
    metadata: valid.metadata(input.metadata, 'metadata'),
    minImportance: input.minImportance === null || input.minImportance === undefined ? null : valid.unitInterval(input.minImportance, 'minImportance'),
    limit,
  };
  const given = valid.embedding(input.embedding, deps.semantic.dim, 'embedding');
  const [embedding] = await deps.semantic.vectorsFor([query], [given], deps.warn);

  const { sql, params } = recallQuery({ ...request, embedding: embedding ?? null });
  const rows = embedding
    ? await deps.em.transactional(async (tx) => {
        await tx.execute(VECTOR_SCAN_SETTINGS);
        return tx.execute<RecallRow[]>(sql, params);
      })
    : await deps.em.execute<RecallRow[]>(sql, params);
  deps.usage.record(deps.userId, { recalls: 1 });
  return rows.map((row) => ({ memory: toMemoryView(row, row.agent), score: row.score, relevance: row.relevance }));
}

type RecallRow = MemoryRow & { agent: string; score: number; relevance: number };

/**
 * With filters, an HNSW scan keeps going until it has enough rows that pass them (pgvector 0.8
 * iterative scans) instead of stopping at `ef_search` candidates, most of them someone else's.
 */
const VECTOR_SCAN_SETTINGS = `select set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', '100', true)`;

/** Nearest neighbours considered per recall; as many as a recall can return. */
const SEMANTIC_CANDIDATES = MAX_RECALL_HITS;

/** The hard filters, as a predicate on `m`: the listings' scope, then the recall's own filters. */
function filterSql(r: RecallRequest): { sql: string; params: unknown[] } {
  const scope = scopeSql(r);
  const clauses = [scope.sql];
  const params = [...scope.params];
  if (r.tags.length > 0) {
    clauses.push(`m.tags @> array[${placeholders(r.tags)}]::text[]`);
    params.push(...r.tags);
  }
  if (r.metadata !== null && Object.keys(r.metadata).length > 0) {
    clauses.push('m.metadata @> ?::jsonb');
    params.push(JSON.stringify(r.metadata));
  }
  if (r.minImportance !== null) {
    clauses.push('m.importance >= ?');
    params.push(r.minImportance);
  }
  return { sql: clauses.join(' and '), params };
}

/**
 * The one ranking statement (the benchmark runs exactly this SQL too). Knex placeholders (`?`).
 *
 * - lexical: `ts_rank_cd` with every lexeme weighted 1, normalized by rank/(rank+1) into 0–1; only
 *   memories matching `websearch_to_tsquery('simple', query)` are candidates.
 * - semantic: cosine similarity of the nearest neighbours, rescaled from SEMANTIC_SIMILARITY_FLOOR to 1.
 * - relevance = lexical, or the weighted mean of lexical and semantic with a query vector;
 *   score = relevance and orbit blended (scoring.ts).
 * Only relevance > 0 is a hit. The returned memories' recall count and time are bumped in the same statement.
 */
export function recallQuery(r: RecallRequest): { sql: string; params: unknown[] } {
  const filter = filterSql(r);
  const params: unknown[] = [r.query, ...filter.params];
  const lexical = `
    select m.id, ts_rank_cd('{1,1,1,1}', m.search, query.q, 32)::float8 as lexical, 0::float8 as semantic, ${orbitSql('m')} as orbit
    from memories m, query
    where m.search @@ query.q and ${filter.sql}`;
  let candidates = lexical;
  let fused = 'select id, lexical as relevance, orbit from candidates';
  if (r.embedding) {
    const vector = valid.vectorLiteral(r.embedding);
    candidates += `
    union all
    (select m.id, 0::float8, greatest((1 - (m.embedding <=> ?::vector) - ${SEMANTIC_SIMILARITY_FLOOR}) / (1 - ${SEMANTIC_SIMILARITY_FLOOR}), 0), ${orbitSql('m')}
     from memories m
     where m.embedding is not null and ${filter.sql}
     order by m.embedding <=> ?::vector
     limit ${SEMANTIC_CANDIDATES})`;
    params.push(vector, ...filter.params, vector);
    fused = `select id, ${RELEVANCE_WEIGHTS.lexical} * max(lexical) + ${RELEVANCE_WEIGHTS.semantic} * max(semantic) as relevance, max(orbit) as orbit
      from candidates group by id`;
  }
  params.push(r.limit);
  const sql = `
    with query as (select websearch_to_tsquery('simple', ?) as q),
    candidates as materialized (${candidates}),
    fused as (${fused}),
    ranked as (
      select id, relevance, ${SCORE_WEIGHTS.relevance} * relevance + ${SCORE_WEIGHTS.orbit} * orbit as score
      from fused
      where relevance > 0
      order by score desc, id
      limit ?
    ),
    recalled as (
      update memories m set recall_count = m.recall_count + 1, last_recalled_at = now()
      from ranked r
      where m.id = r.id
      returning ${MEMORY_COLUMNS}, r.score, r.relevance
    )
    select recalled.*, a.name as agent
    from recalled join agents a on a.id = recalled.agent_id
    order by recalled.score desc, recalled.id`;
  return { sql, params };
}
