import { Zone } from '../../entities/enums.js';

/**
 * How memories are weighed, in one place; docs/recall.md explains the formulas and how they were
 * chosen (tuned on LoCoMo's development split). The orbit score is the memory's standing without a
 * query (it gives the zone); a recall's score is the query match (relevance) weighted by it.
 *
 *   recency    = 0.5 ^ (days since the later of occurredAt and the last recall / 30)
 *   frequency  = recallCount / (recallCount + 5)
 *   orbit      = 0.5 · importance + 0.3 · recency + 0.2 · frequency
 *   lexical    = BM25+ of the query's words / the most any memory could score on them      (0..1)
 *   similarity = max(0, (cosine − 0.2) / 0.8)
 *   semantic   = similarity + 0.85 · max(0, context − similarity)                         (0..1)
 *                context: the similarity of the memory stored just before it in its agent;
 *                null without a vector to compare
 *   relevance  = lexical                                      (no vector compared)
 *              = (lexical + 0.45 · semantic) / 1.45           (with one)
 *   score      = relevance · (0.9 + 0.1 · orbit)
 */

export const RECENCY_HALF_LIFE_DAYS = 30;
/** Recalls at which frequency reaches one half. */
export const FREQUENCY_HALF_COUNT = 5;
export const ORBIT_WEIGHTS = { importance: 0.5, recency: 0.3, frequency: 0.2 } as const;
/** The share of the score the orbit decides: a recall ranks by the query match first. */
export const ORBIT_SHARE = 0.1;
/** Relevance with a query vector: weights of the two matches (divided by their sum). */
export const RELEVANCE_WEIGHTS = { lexical: 1, semantic: 0.45 } as const;
/**
 * How much of the lead of the memory stored just before it (in the same agent) a memory takes over:
 * in a conversation the turn before is the context an elliptical turn ("Yes, last week!") needs to
 * mean anything. Only a lead counts, so a fact that matches better than its neighbour keeps its own
 * score, and a neighbour never pushes a better match down (a list of facts about one person).
 */
export const CONTEXT_GAIN = 0.85;

/**
 * BM25+ (Lv & Zhai 2011) with a coordination factor, as minisearch ranks: per query word t held by
 * the memory, idf(t) · (DELTA + tf · (K1 + 1) / (tf + K1 · (1 − B + B · length / average length))),
 * summed, times the number of query words the memory holds.
 * idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5)) over the agents searched.
 */
export const BM25 = { k1: 1.2, b: 0.15, delta: 0.5 } as const;

/**
 * Cosine similarity at which an embedding counts as no match at all: unrelated texts from real
 * embedding models still score 0.1–0.3, so similarity is rescaled from this floor up to 1.
 */
export const SEMANTIC_SIMILARITY_FLOOR = 0.2;

/*
 * In the SQL below `m` names the memory row and `r` its recall counters (`recall_count`,
 * `last_recalled_at`: the row of `memory_recalls`, left-joined, so both null until a first recall;
 * or any row carrying those two columns).
 */

/** The moment recency counts from: the later of when it happened and when it was last recalled (greatest() skips a null). */
const recencyFrom = (m: string, r: string) => `greatest(${m}.occurred_at, ${r}.last_recalled_at)`;

/** Recency at the statement's `now()`, 0..1, as a float8 SQL expression. */
export function recencySql(m: string, r: string): string {
  // float8 throughout: extract() yields numeric, whose power() is many times slower.
  const ageDays = `extract(epoch from (now() - ${recencyFrom(m, r)}))::float8 / 86400`;
  return `power(0.5::float8, greatest(${ageDays}, 0) / ${RECENCY_HALF_LIFE_DAYS})`;
}

/** Recall frequency, 0..1. */
export const frequencySql = (r: string) => `(coalesce(${r}.recall_count, 0)::float8 / (coalesce(${r}.recall_count, 0) + ${FREQUENCY_HALF_COUNT}))`;

/** The orbit score at the statement's `now()`, as a float8 SQL expression. */
export function orbitSql(m: string, r: string): string {
  return `(${ORBIT_WEIGHTS.importance} * ${m}.importance + ${ORBIT_WEIGHTS.recency} * ${recencySql(m, r)} + ${ORBIT_WEIGHTS.frequency} * ${frequencySql(r)})::float8`;
}

const ZONES: readonly [Zone, number][] = [
  [Zone.CORE, 0.8],
  [Zone.INNER, 0.5],
  [Zone.OUTER, 0.2],
  [Zone.BELT, 0.05],
];

/** The zone of an orbit score, rounded to 3 decimals so a fresh memory of importance 1 is CORE, not 0.79999 INNER. */
export function zoneOf(orbit: number): Zone {
  const rounded = Math.round(orbit * 1000) / 1000;
  return ZONES.find(([, floor]) => rounded >= floor)?.[0] ?? Zone.CLOUD;
}
