import { Zone } from '../entities/enums.js';

/**
 * How memories are weighed (SPEC §7), in one place; the README's "Memories" section explains the
 * formulas. The orbit score is the memory's standing without a query (it gives the zone); a recall's
 * score blends the query match (relevance) with the orbit score.
 *
 *   recency    = 0.5 ^ (days since last recall, or since creation, / 30)
 *   frequency  = recallCount / (recallCount + 5)
 *   orbit      = 0.5 · importance + 0.3 · recency + 0.2 · frequency
 *   relevance  = lexical                              (no query vector)
 *              = 0.5 · lexical + 0.5 · semantic      (with a query vector)
 *   score      = 0.7 · relevance + 0.3 · orbit
 */

export const RECENCY_HALF_LIFE_DAYS = 30;
/** Recalls at which frequency reaches one half. */
export const FREQUENCY_HALF_COUNT = 5;
export const ORBIT_WEIGHTS = { importance: 0.5, recency: 0.3, frequency: 0.2 } as const;
export const SCORE_WEIGHTS = { relevance: 0.7, orbit: 0.3 } as const;
/** An average, not a probabilistic OR: an exact paraphrase (semantic 1) must not hide whether the words match too. */
export const RELEVANCE_WEIGHTS = { lexical: 0.5, semantic: 0.5 } as const;

/**
 * Cosine similarity at which an embedding counts as no match at all: unrelated texts from real
 * embedding models still score 0.1–0.3, so similarity is rescaled from this floor up to 1.
 */
export const SEMANTIC_SIMILARITY_FLOOR = 0.3;

/** The orbit score of the memory row `m` at the statement's `now()`, as a float8 SQL expression. */
export function orbitSql(m: string): string {
  // float8 throughout: extract() yields numeric, whose power() is many times slower.
  const ageDays = `extract(epoch from (now() - coalesce(${m}.last_recalled_at, ${m}.created_at)))::float8 / 86400`;
  const recency = `power(0.5::float8, greatest(${ageDays}, 0) / ${RECENCY_HALF_LIFE_DAYS})`;
  const frequency = `(${m}.recall_count::float8 / (${m}.recall_count + ${FREQUENCY_HALF_COUNT}))`;
  return `(${ORBIT_WEIGHTS.importance} * ${m}.importance + ${ORBIT_WEIGHTS.recency} * ${recency} + ${ORBIT_WEIGHTS.frequency} * ${frequency})::float8`;
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
