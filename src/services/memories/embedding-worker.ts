import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { vectorLiteral } from './memory-input.js';
import { NOT_EXPIRED } from './memory-rows.js';
import type { SemanticSearch } from './semantic.js';

/**
 * The embedding worker (docs/recall.md): stores never wait on the model; they commit memories
 * without a vector and wake this worker, which embeds them in the background, newest first.
 * It also embeds what any instance left without a vector: memories stored before a model was
 * configured, while the model was failing, or on an instance that stopped (the scheduled run).
 *
 * A batch is claimed in one statement (`embedding_claimed_at`, with SKIP LOCKED), so instances take
 * different memories; a failed batch is released at once, and the claim of a process that died
 * lapses after CLAIM_TTL. No transaction is open while the model works: on the embedded database an open
 * transaction would hold up every other connection.
 */

/** Memories per model call: the built-in model's background chunk, small enough not to delay a recall's query for long. */
export const EMBED_BATCH = 32;
/**
 * Batches in flight at once: while one is in the model the other is being claimed or saved, so the
 * model never waits on the database (and two model threads, if configured, both work on a backlog);
 * an endpoint gets two requests at a time.
 */
export const EMBED_LANES = 2;
/** A claim older than this is free again. */
const CLAIM_TTL = '2 minutes';
/** After a model failure, stores stop waking the worker for this long; the scheduled run retries. */
const FAILURE_PAUSE_MS = 5_000;

interface Claimed {
  id: string;
  content: string;
}

export class EmbeddingWorker {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private failedAt: number | null = null;
  /** The claim in progress: the lanes claim one after the other (see claim()). */
  private claiming: Promise<unknown> = Promise.resolve();
  /** Memories embedded since start (metrics, tests). */
  embedded = 0;

  constructor(
    private readonly forkEm: () => EntityManager,
    private readonly semantic: SemanticSearch,
    private readonly logger: Logger,
  ) {}

  /** Memories were stored without a vector: embed them soon (joins a run in progress). */
  wake(): void {
    if (!this.semantic.canEmbed || this.stopped) return;
    this.again = true;
    if (this.failedAt !== null && Date.now() - this.failedAt < FAILURE_PAUSE_MS) return;
    this.running ??= this.loop().finally(() => (this.running = null));
  }

  /** Embeds until nothing is left to claim (or the model fails); resolves when done. The scheduled run. */
  async drain(): Promise<void> {
    if (!this.semantic.canEmbed || this.stopped) return;
    this.again = true;
    this.running ??= this.loop().finally(() => (this.running = null));
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      const lanes = await Promise.all(Array.from({ length: EMBED_LANES }, () => this.lane()));
      if (lanes.includes(false)) return;
    }
  }

  /** Claims and embeds batches until none is left; false when the model failed. */
  private async lane(): Promise<boolean> {
    for (;;) {
      const batch = await this.claim();
      if (batch.length === 0) return true;
      if (!(await this.embed(batch))) return false;
      this.again = false;
      if (this.stopped) return true;
    }
  }

  /**
   * The lanes take turns: two claims at once each skip the rows the other has locked so far, so
   * memories stored together would be split between two model calls by the timing of the database.
   */
  private claim(): Promise<Claimed[]> {
    const claimed = this.claiming.then(() => this.claimNext());
    this.claiming = claimed.catch(() => undefined);
    return claimed;
  }

  private claimNext(): Promise<Claimed[]> {
    return this.forkEm().execute<Claimed[]>(
      `update memories m set embedding_claimed_at = now()
       where m.id in (
         select id from memories m
         where m.embedding is null and (m.embedding_claimed_at is null or m.embedding_claimed_at < now() - interval '${CLAIM_TTL}') and ${NOT_EXPIRED}
         order by m.created_at desc
         limit ${EMBED_BATCH}
         for update skip locked
       )
       returning m.id, m.content`,
    );
  }

  /** Embeds and saves one claimed batch; false when the model failed (the claims are released, a later run retries). */
  private async embed(batch: Claimed[]): Promise<boolean> {
    let vectors: number[][];
    try {
      vectors = await this.semantic.model!.embedBatch(batch.map((m) => m.content));
    } catch (err) {
      if (this.failedAt === null) this.logger.warn({ err, pending: batch.length }, 'embedding model unavailable: memories without a vector wait for the next run');
      this.failedAt = Date.now();
      // Skipping rows another transaction holds, as below; their claims lapse.
      await this.forkEm().execute(
        `update memories set embedding_claimed_at = null where id in (select id from memories where id in (${batch.map(() => '?').join(', ')}) for update skip locked)`,
        batch.map((m) => m.id),
      );
      return false;
    }
    if (this.failedAt !== null) this.logger.info('embedding model available again');
    this.failedAt = null;
    // A memory another transaction holds (a store deduplicating onto it, a recall bumping it) is
    // skipped, not waited for: those lock in their own order, and waiting deadlocked with them. Its
    // claim lapses after CLAIM_TTL and a later run embeds it.
    const saved = await this.forkEm().execute<{ id: string }[]>(
      `with free as (select m.id from memories m where m.id in (${batch.map(() => '?').join(', ')}) and m.embedding is null for update skip locked)
       update memories m set embedding = v.embedding::vector, embedding_claimed_at = null
       from (values ${batch.map(() => '(?::uuid, ?)').join(', ')}) as v(id, embedding)
       where m.id = v.id and m.id in (select id from free)
       returning m.id`,
      [...batch.map((m) => m.id), ...batch.flatMap((m, i) => [m.id, vectorLiteral(vectors[i]!)])],
    );
    this.embedded += saved.length;
    return true;
  }
}
