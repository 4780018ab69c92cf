import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../errors.js';
import { HNSW_EF_SEARCH } from '../../db/vector.js';
import type { SemanticSearch } from './semantic.js';
import * as valid from './memory-input.js';
import { MEMORY_COLUMN_NAMES, memoryColumns, NOT_EXPIRED, RECALLS_JOIN, toMemoryView, type MemoryRow, type MemoryView } from './memory-rows.js';
import { BM25, CONTEXT_GAIN, frequencySql, ORBIT_SHARE, ORBIT_WEIGHTS, orbitSql, recencySql, RELEVANCE_WEIGHTS, SEMANTIC_SIMILARITY_FLOOR } from './scoring.js';
import type { UsageMeter } from '../limits/usage.js';
import type { Warn } from '../warnings.js';

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
  // The model embeds the query while the database looks up its words.
  const wordsStatement = queryWordsQuery(request);
  const [embedding, wordRows] = await Promise.all([
    deps.semantic.queryVector(query, given, deps.warn),
    deps.em.execute<WordRow[]>(wordsStatement.sql, wordsStatement.params),
  ]);
  deps.usage.record(deps.userId, { recalls: 1 });
  const words = queryWords(wordRows);
  if (words.terms.length === 0 && !embedding) return [];

  const { sql, params } = recallQuery({ ...request, embedding }, words);
  const rows = await deps.em.execute<RecallRow[]>(sql, params);
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
 * Nearest neighbours taken as candidates: the HNSW scan's `ef_search`, set on every connection
 * (src/db/vector.ts). 50 and 100 gave the same LoCoMo quality (71.1 / 77.1 embedded, 70.8–70.9 /
 * 76.8–76.9 PostgreSQL); at 500,000 memories 50 costs ~6 ms less per recall (the HNSW search and 50
 * fewer candidates to score: docs/recall.md).
 */
export const SEMANTIC_CANDIDATES = HNSW_EF_SEARCH;

/**
 * Memories taken as candidates per query word, from the full-text index. A word held by fewer
 * memories brings all of them; a very common word brings this many, and the memories that also hold
 * a rarer query word come in through that word anyway (docs/recall.md).
 */
export const LEXICAL_CANDIDATES_PER_WORD = 300;
/**
 * The lexical candidates that go on to be scored on every signal: the best by the idf of the query
 * words they hold, times how many they hold (BM25 without term counts and lengths, which needs no
 * look at the text; the exact BM25 is computed for these only).
 */
export const LEXICAL_CANDIDATES = 50;
/**
 * Postings read for lexical candidates, at most (summed over the query words that bring candidates).
 * A GIN scan reads a word's whole posting list before the first row, ~0.1 µs a posting: a word held
 * by 370,000 memories cost 35 ms a recall at 500,000 memories, for 300 arbitrary ones of them. So the
 * rarest words bring candidates while their postings fit this budget (the rarest always does); the
 * commoner ones still count in every candidate's BM25, and a memory holding a common word and a rare
 * one comes in through the rare one. An agent below this size is never affected (docs/recall.md).
 */
export const LEXICAL_POSTINGS_BUDGET = 25_000;

/** Collects the values of `?` placeholders in the order the text uses them. */
class Params {
  readonly values: unknown[] = [];
  add(...values: unknown[]): string {
    this.values.push(...values);
    return values.map(() => '?').join(', ');
  }
}

/** The agents a recall searches: one, or all of the user's. */
function scopeSql(r: Pick<RecallRequest, 'userId' | 'agent'>, p: Params): string {
  return `select a.id from agents a where a.user_id = ${p.add(r.userId)}${r.agent === null ? '' : ` and a.name = ${p.add(r.agent)}`}`;
}

/** The hard filters, as a predicate on `m`: the user and agent, not expired, then the recall's own filters. */
function filterSql(r: RecallRequest, p: Params): string {
  const clauses = [`m.user_id = ${p.add(r.userId)}`, NOT_EXPIRED];
  if (r.agent !== null) clauses.push(`m.agent_id = (${scopeSql(r, p)})`);
  if (r.tags.length > 0) clauses.push(`m.tags @> array[${p.add(...r.tags)}]::text[]`);
  if (r.metadata !== null && Object.keys(r.metadata).length > 0) clauses.push(`m.metadata @> ${p.add(JSON.stringify(r.metadata))}::jsonb`);
  if (r.minImportance !== null) clauses.push(`m.importance >= ${p.add(r.minImportance)}`);
  if (r.occurredAfter !== null) clauses.push(`m.occurred_at >= ${p.add(r.occurredAfter)}::timestamptz`);
  if (r.occurredBefore !== null) clauses.push(`m.occurred_at < ${p.add(r.occurredBefore)}::timestamptz`);
  return clauses.join(' and ');
}

/** A position count: positions are dropped only from stripped vectors, where each lexeme counts once. */
const TF = 'coalesce(array_length(u.positions, 1), 1)';

interface WordRow {
  lexeme: string;
  docs: number;
  tokens: number;
}

/** A query word with its document frequency and inverse document frequency over the agents searched. */
export interface QueryWord {
  lexeme: string;
  docs: number;
  idf: number;
}

export interface QueryWords {
  /** The query's words that some memory holds (others cannot match). */
  terms: QueryWord[];
  /** Average memory length in words (BM25's length normalization). */
  averageLength: number;
  /** The most any memory could score on these words: lexical = BM25 / bound, in 0..1. */
  bound: number;
}

/**
 * Statement 1: the query's words, `to_tsvector('english', query)` (stemmed, English stop words
 * dropped), with their document frequency and the corpus size and length over the agents searched:
 * `memory_terms` plus the deltas not folded yet, exact (the recall migration's triggers). The
 * lexeme '' holds the memory count and total length.
 */
export function queryWordsQuery(r: Pick<RecallRequest, 'userId' | 'agent' | 'query'>): { sql: string; params: unknown[] } {
  const p = new Params();
  const scope = scopeSql(r, p);
  const query = p.add(r.query);
  const statsOf = (table: string) =>
    `select s.lexeme, s.docs, s.tokens from ${table} s where s.agent_id in (select id from scope) and s.lexeme in (select lexeme from words)`;
  const sql = `
    with scope as (${scope}),
    words as (select u.lexeme from unnest(to_tsvector('english', ${query}::text)) u union all select ''),
    stats as (${statsOf('memory_terms')} union all ${statsOf('memory_term_deltas')})
    select lexeme, sum(docs)::float8 as docs, sum(tokens)::float8 as tokens from stats group by lexeme`;
  return { sql, params: p.values };
}

/** BM25's inputs from statement 1's rows. */
export function queryWords(rows: readonly WordRow[]): QueryWords {
  const corpus = rows.find((row) => row.lexeme === '');
  const n = Math.max(Number(corpus?.docs ?? 0), 1);
  const averageLength = Math.max(Number(corpus?.tokens ?? 0) / n, 1);
  const terms = rows
    .filter((row) => row.lexeme !== '' && Number(row.docs) > 0)
    .map((row) => ({ lexeme: row.lexeme, docs: Number(row.docs), idf: Math.log(1 + (n - Number(row.docs) + 0.5) / (Number(row.docs) + 0.5)) }));
  const { k1, delta } = BM25;
  const bound = terms.reduce((sum, t) => sum + t.idf, 0) * (delta + k1 + 1) * terms.length;
  return { terms, averageLength, bound };
}

/** The query words whose postings bring lexical candidates: the rarest, within LEXICAL_POSTINGS_BUDGET. */
export function candidateSources(terms: readonly QueryWord[], budget = LEXICAL_POSTINGS_BUDGET): Set<string> {
  const sources = new Set<string>();
  let postings = 0;
  for (const word of [...terms].sort((a, b) => a.docs - b.docs || (a.lexeme < b.lexeme ? -1 : 1))) {
    if (sources.size > 0 && postings + word.docs > budget) break;
    sources.add(word.lexeme);
    postings += word.docs;
  }
  return sources;
}

/** A hit's columns, with its recall count and time as this recall's bump left them (as before it, for a hit deleted meanwhile). */
const BUMPED_COLUMNS = MEMORY_COLUMN_NAMES.map((column) => `t.${column}`)
  .concat(['recall_count', 'last_recalled_at'].map((column) => `coalesce(b.${column}, c.${column}) as ${column}`))
  .join(', ');

/**
 * Statement 2, the ranking (the benchmark runs exactly this SQL too). Knex placeholders (`?`).
 *
 * 1. Candidates: per query word that is a candidate source (the rarest, within
 *    LEXICAL_POSTINGS_BUDGET), up to LEXICAL_CANDIDATES_PER_WORD memories from the GIN index, of
 *    which the LEXICAL_CANDIDATES holding the rarest words; with a query vector also the
 *    SEMANTIC_CANDIDATES nearest (HNSW). Every filter is a predicate of both searches.
 * 2. Each candidate's signals (scoring.ts): BM25, its cosine and its predecessor's (the memory
 *    stored just before it in its agent), importance, recency, frequency; relevance and score.
 * 3. A hit matches by words or by its own meaning (its context only ranks it). The best `limit` are
 *    returned, their recall count and time bumped in the same statement: an upsert into
 *    `memory_recalls`, never a write of the memory row itself (see that table's migration). The
 *    hits are key-share locked and bumped in id order: concurrent recalls ranking the same memories
 *    in different orders deadlocked when each locked them in its own ranking order; a hit deleted
 *    meanwhile is skipped, not an error of the foreign key.
 */
export function recallQuery(r: RecallRequest, words: QueryWords): { sql: string; params: unknown[] } {
  const p = new Params();
  const { k1, b, delta } = BM25;
  const bm25 = (search: string) => `(
    select coalesce(sum(t.idf * (${delta} + x.tf * ${k1 + 1} / (x.tf + ${k1} * (${1 - b} + ${b} * x.dl / ${p.add(words.averageLength)}::float8)))) * count(*), 0)
      / ${p.add(words.bound || 1)}::float8
    from (select u.lexeme, ${TF}::float8 as tf, sum(${TF}) over ()::float8 as dl from unnest(${search}) u) x
    join terms t on t.lexeme = x.lexeme)`;
  // The query's vector travels once, as the statement's first parameter, and is read from here: three
  // copies of its literal (~11 KB each with the model's floats) were ~32 KB per recall for the driver
  // to escape and write and PostgreSQL to parse. The HNSW scan still orders by it (an init plan's
  // value is a constant to the index scan).
  const vector = r.embedding ? valid.vectorLiteral(r.embedding) : null;
  const queryVectorCte = vector ? `query_vector as materialized (select ${p.add(vector)}::vector as v),` : '';
  const queryVector = '(select v from query_vector)';
  // `keys`: the word's posting keys in the agents searched (the agent-terms index, see its migration).
  const sources = candidateSources(words.terms);
  const terms = `
    select t.lexeme, t.idf, t.source, array(select a.id::text || ' ' || t.lexeme from (${scopeSql(r, p)}) a) as keys
    from json_to_recordset(${p.add(JSON.stringify(words.terms.map((w) => ({ lexeme: w.lexeme, idf: w.idf, source: sources.has(w.lexeme) }))))}::json)
      as t(lexeme text, idf float8, source boolean)`;
  // Among equal word matches the memories that rank higher on their own (orbit) go first.
  const lexicalBest = `
    select c.id from (select * from terms where source) t cross join lateral (
      select m.id, ${orbitSql('m', 'r')} as orbit from memories m ${RECALLS_JOIN}
      where memory_agent_terms(m.agent_id, m.search) && t.keys and ${filterSql(r, p)} limit ${LEXICAL_CANDIDATES_PER_WORD}
    ) c
    group by c.id
    order by sum(t.idf) * count(*) desc, max(c.orbit) desc, c.id
    limit ${LEXICAL_CANDIDATES}`;
  const semanticBest = vector
    ? `select m.id from memories m where m.embedding is not null and ${filterSql(r, p)} order by m.embedding <=> ${queryVector} limit ${SEMANTIC_CANDIDATES}`
    : null;
  // Created in the order the text uses them (their values are bound in that order).
  const lexical = bm25('m.search');
  const cosine = vector ? `case when m.embedding is null then null else 1 - (m.embedding <=> ${queryVector}) end` : 'null::float8';
  // The memory stored just before this one in its agent (its context), by the time-ordered ids.
  const contextCosine = vector
    ? `(select 1 - (c.embedding <=> ${queryVector}) from memories c
        where c.agent_id = m.agent_id and (c.created_at, c.id) < (m.created_at, m.id)
        order by c.created_at desc, c.id desc limit 1)`
    : 'null::float8';
  // Of a column of `measured`, so each cosine is computed once. Null stays null (no vector compared):
  // greatest() alone would turn it into 0.
  const similarity = (cos: string) => `case when ${cos} is null then null else greatest((${cos} - ${SEMANTIC_SIMILARITY_FLOOR}) / ${1 - SEMANTIC_SIMILARITY_FLOOR}, 0) end`;
  const { lexical: wl, semantic: ws } = RELEVANCE_WEIGHTS;
  const relevance = vector ? `(${wl} * lexical + ${ws} * coalesce(semantic, 0)) / ${wl + ws}` : 'lexical';
  const orbit = `${ORBIT_WEIGHTS.importance} * importance + ${ORBIT_WEIGHTS.recency} * recency + ${ORBIT_WEIGHTS.frequency} * frequency`;
  const limit = p.add(r.limit);
  const sql = `
    with ${queryVectorCte}
    terms as materialized (${terms}),
    lexical_best as materialized (${lexicalBest}),
    ${semanticBest ? `semantic_best as materialized (${semanticBest}),` : ''}
    candidates as (select id from lexical_best${semanticBest ? ' union select id from semantic_best' : ''}),
    measured as materialized (
      select m.id, ${lexical} as lexical, ${cosine} as cosine, ${contextCosine} as context_cosine,
             m.importance, ${recencySql('m', 'r')} as recency, ${frequencySql('r')} as frequency
      from candidates c join memories m on m.id = c.id ${RECALLS_JOIN}
    ),
    signals as (
      select id, lexical, ${similarity('cosine')} as similarity, ${similarity('context_cosine')} as context, importance, recency, frequency
      from measured
    ),
    ranked as (
      select id, lexical, semantic, importance, recency, frequency, relevance,
             relevance * (${1 - ORBIT_SHARE} + ${ORBIT_SHARE} * (${orbit})) as score
      from (select *, ${relevance} as relevance from (
        select *, case when similarity is null then null else similarity + ${CONTEXT_GAIN} * greatest(coalesce(context, 0) - similarity, 0) end as semantic
        from signals
      ) s) s
      where lexical > 0 or similarity > 0
      order by score desc, id
      limit ${limit}
    ),
    locked as (select m.id from memories m where m.id in (select id from ranked) order by m.id for key share of m),
    bumped as (
      insert into memory_recalls as counts (memory_id, recall_count, last_recalled_at)
      select id, 1, now() from locked order by id
      on conflict (memory_id) do update set recall_count = counts.recall_count + 1, last_recalled_at = excluded.last_recalled_at
      returning counts.memory_id as id, counts.recall_count, counts.last_recalled_at
    )
    select ${memoryColumns('m', 'm')}, m.score, m.relevance, m.lexical, m.semantic, m.importance_signal, m.recency, m.frequency, a.name as agent
    from (
      select ${BUMPED_COLUMNS}, r.score, r.relevance, r.lexical, r.semantic, r.importance as importance_signal, r.recency, r.frequency
      from ranked r join memories t on t.id = r.id left join bumped b on b.id = r.id left join memory_recalls c on c.memory_id = r.id
    ) m join agents a on a.id = m.agent_id
    order by m.score desc, m.id`;
  return { sql, params: p.values };
}
