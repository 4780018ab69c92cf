import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { EmbeddingWorker } from '../services/memories/embedding-worker.js';
import type { Database } from '../db/database.js';
import { analyzeMemoryTables, foldTermDeltas, sweepExpiredMemories } from '../services/memories/memory-jobs.js';
import type { JobDefinition } from './scheduler.js';

export const SWEEP_JOB = 'sweep-expired-memories';
export const EMBED_JOB = 'embed-missing-memories';
export const FOLD_JOB = 'fold-term-statistics';
export const ANALYZE_JOB = 'analyze-embedded-memories';

export interface MemoryJobDeps {
  forkEm(): EntityManager;
  logger: Logger;
  db: Pick<Database, 'embedded'>;
  semantic: { canEmbed: boolean };
  embeddingWorker: Pick<EmbeddingWorker, 'drain'>;
}

/** The scheduled memory upkeep of an instance; every instance runs it, the services make that safe. */
export function memoryJobs(deps: MemoryJobDeps): JobDefinition[] {
  const jobs: JobDefinition[] = [
    {
      name: SWEEP_JOB,
      everyMs: 60_000,
      run: async () => {
        const swept = await sweepExpiredMemories(deps.forkEm());
        if (swept > 0) deps.logger.info({ job: SWEEP_JOB, swept }, 'expired memories deleted');
      },
    },
    // Often: a recall sums the deltas not folded yet, and a busy store load adds thousands a second.
    { name: FOLD_JOB, everyMs: 2_000, run: () => foldTermDeltas(deps.forkEm()) },
  ];
  // PostgreSQL's autovacuum keeps planner statistics; the embedded database has no autovacuum, and
  // without statistics the planner ignores the full-text and vector indexes recall is built on.
  if (deps.db.embedded) jobs.push({ name: ANALYZE_JOB, everyMs: 5 * 60_000, run: () => analyzeMemoryTables(deps.forkEm()) });
  // Stores wake the worker themselves; this run picks up what other instances, a failing model or
  // a configuration without a model left without a vector.
  if (deps.semantic.canEmbed) jobs.push({ name: EMBED_JOB, everyMs: 5_000, run: () => deps.embeddingWorker.drain() });
  return jobs;
}
