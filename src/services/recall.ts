import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../errors.js';
import type { SemanticSearch } from './semantic.js';
import * as valid from './memory-input.js';
import { MEMORY_COLUMNS, NOT_EXPIRED, toMemoryView, type MemoryRow, type MemoryView } from './memory-rows.js';
import { BM25, frequencySql, recencySql, RELEVANCE_WEIGHTS, SCORE_WEIGHTS, SEMANTIC_SIMILARITY_FLOOR, ORBIT_WEIGHTS } from './scoring.js';
import type { UsageMeter } from './usage.js';
import type { Warn } from './warnings.js';

/**
 * Recall: natural-language questions answered by one SQL statement (docs/recall.md). Candidates come
 * bounded from indexes (per query word from the full-text index, and the nearest vectors), each is
 * scored on every signal, the best are returned and their recall bumped. Every filter is a predicate
 * of both candidate searches, never a filter applied afterwards.
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
  occurredAfter?: Date | null;
  occurredBefore?: Date | null;
}

/** Why a memory came back: each signal in 0..1; semantic is null when no vector was compared. */
export interface RecallExplanation {
  lexical: number;
  semantic: number | null;
  importance: number;
  recency: number;
  frequency: number;
}

export interface RecallHit {
  memory: MemoryView;
  score: number;
  relevance: number;
  explanation: RecallExplanation;
}

/** Everything the ranking statement needs. */
export interface RecallRequest {
  userId: string;
  query: string;
  agent: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
  minImportance: number | null;
  occurredAfter: Date | null;
  occurredBefore: Date | null;
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
  const occurredAfter = valid.date(input.occurredAfter, 'occurredAfter');
  const occurredBefore = valid.date(input.occurredBefore, 'occurredBefore');
  const request: Omit<RecallRequest, 'embedding'> = {
    userId: deps.userId,
    query,
    agent: input.agent === null || input.agent === undefined ? null : valid.agentName(input.agent, 'agent'),
    tags: valid.tags(input.tags, 'tags'),
    metadata: valid.metadata(input.metadata, 'metadata'),
    minImportance: input.minImportance === null || input.minImportance === undefined ? null : valid.unitInterval(input.minImportance, 'minImportance'),
    occurredAfter,
    occurredBefore,
    limit,
  };
  const given = valid.embedding(input.embedding, deps.semantic.dim, 'embedding');
  const embedding = await deps.semantic.queryVector(query, given, deps.warn);

  const { sql, params } = recallQuery({ ...request, embedding: embedding ?? null });
  const rows = embedding
    ? await deps.em.transactional(async (tx) => {
        await tx.execute(VECTOR_SCAN_SETTINGS);
        return tx.execute<RecallRow[]>(sql, params);
      })
    : await deps.em.execute<RecallRow[]>(sql, params);
  deps.usage.record(deps.userId, { recalls: 1 });
  return rows.map((row) => ({
    memory: toMemoryView(row, row.agent),
    score: row.score,
    relevance: row.relevance,
    explanation: { lexical: row.lexical, semantic: row.semantic, importance: row.importance_signal, recency: row.recency, frequency: row.frequency },
  }));
}

type RecallRow = MemoryRow & {
  agent: string;
  score: number;
  relevance: number;
  lexical: number;
  semantic: number | null;
  importance_signal: number;
  recency: number;
  frequency: number;
};

/**
 * With filters, an HNSW scan keeps going until it has enough rows that pass them (pgvector 0.8
 * iterative scans) instead of stopping at `ef_search` candidates, most of them someone else's.
 */
const VECTOR_SCAN_SETTINGS = `select set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', '100', true)`;

/** Nearest neighbours taken as candidates. */
export const SEMANTIC_CANDIDATES = 100;
/**
 * Memories taken as candidates per query word, from the full-text index. A word held by fewer
 * memories brings all of them; a very common word brings this many, and the memories that also hold
 * a rarer query word come in through that word anyway (docs/recall.md).
 */
export const LEXICAL_CANDIDATES_PER_WORD = 1_000;

/** Collects the values of `?` placeholders in the order the text uses them. */
class Params {
  readonly values: unknown[] = [];
  add(...values: unknown[]): string {
    this.values.push(...values);
    return values.map(() => '?').join(', ');
  }
}

/** The hard filters, as a predicate on `m`: the user and agent, not expired, then the recall's own filters. */
function filterSql(r: RecallRequest, p: Params): string {
  const clauses = [`m.user_id = ${p.add(r.userId)}`, NOT_EXPIRED];
  if (r.agent !== null) clauses.push(`m.agent_id in (select id from scope)`);
  if (r.tags.length > 0) clauses.push(`m.tags @> array[${p.add(...r.tags)}]::text[]`);
  if (r.metadata !== null && Object.keys(r.metadata).length > 0) clauses.push(`m.metadata @> ${p.add(JSON.stringify(r.metadata))}::jsonb`);
  if (r.minImportance !== null) clauses.push(`m.importance >= ${p.add(r.minImportance)}`);
  if (r.occurredAfter !== null) clauses.push(`m.occurred_at >= ${p.add(r.occurredAfter)}::timestamptz`);
  if (r.occurredBefore !== null) clauses.push(`m.occurred_at < ${p.add(r.occurredBefore)}::timestamptz`);
  return clauses.join(' and ');
}

/** A position count: positions are dropped only from stripped vectors, where each lexeme counts once. */
const TF = 'coalesce(array_length(u.positions, 1), 1)';

/**
 * The one ranking statement (the benchmark runs exactly this SQL too). Knex placeholders (`?`).
 *
 * 1. The query's words: `to_tsvector('english', query)` (stemmed, stop words dropped), each with its
 *    document frequency over the agents searched (`memory_terms` plus its pending deltas, exact).
 * 2. Candidates: per word, up to LEXICAL_CANDIDATES_PER_WORD memories from the GIN index; with a
 *    query vector also the SEMANTIC_CANDIDATES nearest (HNSW). Both under every filter.
 * 3. Each candidate's signals (scoring.ts), relevance and score; the best `limit` with relevance > 0
 *    are returned, their recall count and time bumped in the same statement.
 */
export function recallQuery(r: RecallRequest): { sql: string; params: unknown[] } {
  const p = new Params();
  const scope = `select a.id from agents a where a.user_id = ${p.add(r.userId)}${r.agent === null ? '' : ` and a.name = ${p.add(r.agent)}`}`;
  const queryTerms = `
    select u.lexeme, array_to_tsvector(array[u.lexeme])::text::tsquery as q
    from unnest(to_tsvector('english', ${p.add(r.query)}::text)) u`;
  const statsOf = (table: string) =>
    `select s.lexeme, s.docs, s.tokens from ${table} s
     where s.agent_id in (select id from scope) and s.lexeme in (select lexeme from query_terms union all select '')`;
  const stats = `
    select lexeme, sum(docs)::float8 as docs, sum(tokens)::float8 as tokens
    from (${statsOf('memory_terms')} union all ${statsOf('memory_term_deltas')}) s
    group by lexeme`;
  const { k1, b, delta } = BM25;
  const lexicalCandidates = `
    select c.id from terms t cross join lateral (
      select m.id from memories m where m.search @@ t.q and ${filterSql(r, p)} limit ${LEXICAL_CANDIDATES_PER_WORD}
    ) c`;
  const vector = r.embedding ? valid.vectorLiteral(r.embedding) : null;
  const semanticCandidates = vector
    ? `
    union
    (select m.id from memories m
     where m.embedding is not null and ${filterSql(r, p)}
     order by m.embedding <=> ${p.add(vector)}::vector
     limit ${SEMANTIC_CANDIDATES})`
    : '';
  const cosine = vector ? `case when m.embedding is null then null else 1 - (m.embedding <=> ${p.add(vector)}::vector) end` : 'null::float8';
  const relevance = `case when semantic is null then lexical else ${RELEVANCE_WEIGHTS.lexical} * lexical + ${RELEVANCE_WEIGHTS.semantic} * semantic end`;
  const orbit = `${ORBIT_WEIGHTS.importance} * importance + ${ORBIT_WEIGHTS.recency} * recency + ${ORBIT_WEIGHTS.frequency} * frequency`;
  const limit = p.add(r.limit);
  const sql = `
    with scope as (${scope}),
    query_terms as (${queryTerms}),
    stats as (${stats}),
    corpus as (
      select greatest(docs, 1) as n, greatest(tokens / greatest(docs, 1), 1) as avgdl from stats where lexeme = ''
    ),
    terms as materialized (
      select q.lexeme, q.q, ln(1 + (c.n - s.docs + 0.5) / (s.docs + 0.5)) as idf
      from query_terms q cross join corpus c join stats s on s.lexeme = q.lexeme
      where s.docs > 0
    ),
    bound as (select sum(idf) * ${delta + k1 + 1} * count(*) as most from terms),
    candidates as materialized (${lexicalCandidates}${semanticCandidates}),
    signals as (
      select m.id,
             coalesce(lx.raw / nullif(bound.most, 0), 0) as lexical,
             ${cosine} as cosine,
             m.importance, ${recencySql('m')} as recency, ${frequencySql('m')} as frequency
      from (select distinct id from candidates) cd
      join memories m on m.id = cd.id
      left join corpus c on true
      left join bound on true
      left join lateral (
        select sum(t.idf * (${delta} + x.tf * ${k1 + 1} / (x.tf + ${k1} * (${1 - b} + ${b} * x.dl / c.avgdl)))) * count(*) as raw
        from (select u.lexeme, ${TF}::float8 as tf, sum(${TF}) over ()::float8 as dl from unnest(m.search) u) x
        join terms t on t.lexeme = x.lexeme
      ) lx on true
    ),
    ranked as (
      select id, lexical, semantic, importance, recency, frequency, relevance,
             ${SCORE_WEIGHTS.relevance} * relevance + ${SCORE_WEIGHTS.orbit} * (${orbit}) as score
      from (select *, ${relevance} as relevance from (
        select *, case when cosine is null then null else greatest((cosine - ${SEMANTIC_SIMILARITY_FLOOR}) / (1 - ${SEMANTIC_SIMILARITY_FLOOR}), 0) end as semantic
        from signals
      ) s) s
      where relevance > 0
      order by score desc, id
      limit ${limit}
    ),
    recalled as (
      update memories m set recall_count = m.recall_count + 1, last_recalled_at = now()
      from ranked r
      where m.id = r.id
      returning ${MEMORY_COLUMNS}, r.score, r.relevance, r.lexical, r.semantic, r.importance as importance_signal, r.recency, r.frequency
    )
    select recalled.*, a.name as agent
    from recalled join agents a on a.id = recalled.agent_id
    order by recalled.score desc, recalled.id`;
  return { sql, params: p.values };
}

