import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { QuotaResource } from '../entities/enums.js';
import { EmbeddingsUnavailable, EMBEDDINGS_BATCH, type SemanticSearch } from './embeddings.js';
import { vectorLiteral } from './memory-input.js';
import { NOT_EXPIRED } from './memory-rows.js';
import { compareText, IDEMPOTENCY_WINDOW } from './memory-store.js';
import { releaseQuota } from './quota.js';

/** Scheduled upkeep of memories. Safe to run on every instance at once. */

const SWEEP_BATCH = 1_000;

/**
 * Deletes expired memories (reads already skip them) and gives their quota back in the same
 * transaction; also forgets idempotency keys past their window. Returns the memories deleted.
 */
export async function sweepExpiredMemories(em: EntityManager): Promise<number> {
  let swept = 0;
  for (;;) {
    const deleted = await em.transactional(async (tx) => {
      // SKIP LOCKED: instances sweeping together take different rows, so each is counted once.
      const gone = await tx.execute<{ user_id: string }[]>(
        `delete from memories where id in (
           select id from memories where expires_at <= now() order by expires_at limit ${SWEEP_BATCH} for update skip locked
         ) returning user_id`,
      );
      const perUser = new Map<string, number>();
      for (const { user_id } of gone) perUser.set(user_id, (perUser.get(user_id) ?? 0) + 1);
      // Counters in user order: two instances sweeping at once lock them in the same order.
      for (const [userId, count] of [...perUser].sort(([a], [b]) => compareText(a, b))) {
        await releaseQuota(tx, userId, QuotaResource.MEMORIES, count);
      }
      return gone.length;
    });
    swept += deleted;
    if (deleted < SWEEP_BATCH) break;
  }
  await em.execute(`delete from memory_idempotency_keys where created_at <= now() - interval '${IDEMPOTENCY_WINDOW}'`);
  return swept;
}

/**
 * Embeds memories stored without a vector (the embeddings API was down, or EMBEDDINGS_URL was set
 * after they were stored), newest first, until none is left or the API fails. No transaction is
 * held across the API call; two instances may embed the same batch, and the update keeps the first.
 */
export async function embedMissingMemories(em: EntityManager, semantic: SemanticSearch, logger: Logger): Promise<number> {
  let embedded = 0;
  for (;;) {
    const batch = await em.execute<{ id: string; content: string }[]>(
      `select m.id, m.content from memories m where m.embedding is null and ${NOT_EXPIRED} order by m.created_at desc limit ${EMBEDDINGS_BATCH}`,
    );
    if (batch.length === 0) return embedded;
    let vectors: number[][];
    try {
      vectors = await semantic.embed(batch.map((m) => m.content));
    } catch (err) {
      if (!(err instanceof EmbeddingsUnavailable)) throw err;
      logger.warn({ err, pending: batch.length }, 'embeddings API unavailable: memories without a vector wait for the next run');
      return embedded;
    }
    await em.execute(
      `update memories m set embedding = v.embedding::vector
       from (values ${batch.map(() => '(?::uuid, ?)').join(', ')}) as v(id, embedding)
       where m.id = v.id and m.embedding is null`,
      batch.flatMap((m, i) => [m.id, vectorLiteral(vectors[i]!)]),
    );
    embedded += batch.length;
  }
}
