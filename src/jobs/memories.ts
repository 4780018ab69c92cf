import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { EmbeddingWorker } from '../services/memories/embedding-worker.js';
import { foldTermDeltas, sweepExpiredMemories, vacuumMemoryTables } from '../services/memories/memory-jobs.js';
import type { JobDefinition } from './scheduler.js';

export const SWEEP_JOB = 'sweep-expired-memories';
export const EMBED_JOB = 'embed-missing-memories';
export const FOLD_JOB = 'fold-term-statistics';
export const VACUUM_JOB = 'vacuum-memory-tables';

export interface MemoryJobDeps {
  forkEm(): EntityManager;
  logger: Logger;
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
    // Dead row versions and planner statistics, where autovacuum does not keep them (the embedded
    // database has none; a PostgreSQL may run without): recall's statements slow down as the tables bloat.
    {
      name: VACUUM_JOB,
      everyMs: 30_000,
      run: async () => {
        const done = await vacuumMemoryTables(deps.forkEm());
        if (done.vacuumed.length + done.analyzed.length > 0) deps.logger.debug({ job: VACUUM_JOB, ...done }, 'memory tables vacuumed');
      },
    },
  ];
  // Stores wake the worker themselves; this run picks up what other instances, a failing model or
  // a configuration without a model left without a vector.
  if (deps.semantic.canEmbed) jobs.push({ name: EMBED_JOB, everyMs: 5_000, run: () => deps.embeddingWorker.drain() });
  return jobs;
}
